"""Every write about listings: drafts, submission, review, publication, suspension, stock."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from decimal import Decimal
from typing import TypedDict

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agreements.models import FrameworkAgreement, Lot, Organization
from agreements.selectors import organization_of
from audit.services import audit_record
from catalog.models import Listing, ListingVersion
from catalog.search.index import index_listing, set_stock_flag
from catalog.services import validation as rules
from common.errors import Conflict, Forbidden, NotFound, ValidationFailed
from common.lifecycle import check_transition

TEXT_LIMITS = {"title": 200, "summary": 500, "description": 10000, "exit_statement": 5000, "unit": 50}
DRAFT_FIELDS = ("title", "summary", "description", "features", "benefits", "attributes", "categories", "unit",
                "unit_price", "minimum_commitment", "lead_time_days", "exit_statement", "stock")


class ListingData(TypedDict, total=False):
    """A listing's draft content as a form, the API or a CSV row gives it; ``clean_draft`` reads and checks it.

    A TypedDict rather than a dataclass because an update names only the fields it changes (the keys
    present). Numbers may come as text or Decimal; lists as lists or one item per line; ``attributes``
    maps each filter question's key to its answer (text, a list of choices for multiple choice, a boolean).
    """

    title: str
    summary: str
    description: str
    features: list[str] | str
    benefits: list[str] | str
    attributes: dict[str, str | bool | list[str]]
    categories: list[int]
    unit: str
    unit_price: Decimal | str
    minimum_commitment: Decimal | str
    lead_time_days: int | str | None
    exit_statement: str
    stock: int | str | None


def _supplier_of(actor: User) -> Organization:
    organization = organization_of(actor)
    if organization is None or organization.kind != Organization.Kind.SUPPLIER:
        raise Forbidden(_("Only suppliers can write listings."))
    return organization


def _require_owner(actor: User, listing: Listing) -> None:
    organization = organization_of(actor)
    if organization is None or organization.pk != listing.supplier_id:
        raise Forbidden(_("Only the supplier that owns this listing can do this."))


def _require_authority(actor: User, listing: Listing) -> None:
    organization = organization_of(actor)
    if organization is None or organization.pk != listing.framework.authority_id:
        raise Forbidden(_("Only the framework's procurement authority can do this."))


def _locked(listing_id: int) -> Listing:
    try:
        return Listing.objects.select_for_update().select_related("framework", "lot", "supplier").get(pk=listing_id)
    except Listing.DoesNotExist:
        raise NotFound(_("No such listing.")) from None


def clean_draft(*, lot: Lot, data: ListingData, base: dict | None = None, require_complete: bool = False) -> dict:
    """Validate draft fields (merged over ``base``); raise ``ValidationFailed`` with every field's errors."""
    merged = dict(base or {})
    merged.update({k: v for k, v in data.items() if k in DRAFT_FIELDS})
    errors = rules.Errors()
    cleaned: dict = {}
    for field, limit in TEXT_LIMITS.items():
        value = str(merged.get(field) or "").strip()
        if len(value) > limit:
            errors.add(field, _("Use at most %(limit)s characters.") % {"limit": limit})
        cleaned[field] = value
    for field in ("title", "summary", "unit"):
        if not cleaned[field]:
            errors.add(field, _("This is required."))
    cleaned["features"] = rules.clean_text_list(merged.get("features"), "features", errors)
    cleaned["benefits"] = rules.clean_text_list(merged.get("benefits"), "benefits", errors)
    price = None
    if merged.get("unit_price") in (None, ""):
        errors.add("unit_price", _("This is required."))
    else:
        price = rules.clean_price(merged.get("unit_price"), errors)
    cleaned["unit_price"] = price
    if cleaned["unit"]:
        rules.check_price_within_ceiling(lot=lot, unit=cleaned["unit"], unit_price=price, errors=errors)
    cleaned["minimum_commitment"] = rules.clean_quantity(merged.get("minimum_commitment"), errors, "minimum_commitment")
    cleaned["lead_time_days"] = rules.clean_optional_int(merged.get("lead_time_days"), errors, "lead_time_days")
    cleaned["stock"] = rules.clean_optional_int(merged.get("stock"), errors, "stock")
    rules.check_goods_fields(lot=lot, lead_time_days=cleaned["lead_time_days"], errors=errors, require=require_complete)
    cleaned["attributes"] = rules.clean_attributes(lot=lot, attributes=merged.get("attributes"), errors=errors,
                                                   require_all=require_complete)
    categories = rules.clean_categories(lot=lot, category_ids=merged.get("categories"), errors=errors)
    if require_complete and not categories and "categories" not in errors:
        errors.add("categories", _("Choose at least one need this listing meets."))
    cleaned["categories"] = sorted(c.pk for c in categories)
    if errors:
        raise ValidationFailed(_("The listing is not valid."), fields=dict(errors))
    return cleaned


def draft_of(listing: Listing) -> dict:
    return {
        "title": listing.title, "summary": listing.summary, "description": listing.description,
        "features": listing.features, "benefits": listing.benefits, "attributes": listing.attributes,
        "categories": sorted(listing.categories.values_list("pk", flat=True)), "unit": listing.unit,
        "unit_price": listing.unit_price, "minimum_commitment": listing.minimum_commitment,
        "lead_time_days": listing.lead_time_days, "exit_statement": listing.exit_statement, "stock": listing.stock,
    }


def _apply(listing: Listing, cleaned: dict) -> None:
    for field in DRAFT_FIELDS:
        if field != "categories":
            setattr(listing, field, cleaned[field])


@transaction.atomic
def listing_create(*, actor: User, framework: FrameworkAgreement, lot: Lot, data: ListingData) -> Listing:
    supplier = _supplier_of(actor)
    if lot.framework_id != framework.pk:
        raise ValidationFailed(_("The lot is not part of this framework."), fields={"lot": [_("Choose a lot of the framework.")]})
    rules.require_framework_accepts_listings(framework)
    rules.require_admitted(supplier=supplier, lot=lot)
    cleaned = clean_draft(lot=lot, data=data)
    listing = Listing(supplier=supplier, framework=framework, lot=lot, created_by=actor, has_unpublished_changes=True)
    _apply(listing, cleaned)
    listing.save()
    listing.categories.set(cleaned["categories"])
    audit_record(action="listing.created", actor=actor, organization=supplier, target=listing,
                 payload={"title": listing.title, "lot": lot.pk, "unit": listing.unit, "unit_price": str(listing.unit_price)})
    return listing


NOT_EDITABLE_STATUSES = (Listing.Status.SUBMITTED, Listing.Status.WITHDRAWN)


def listing_check_editable(*, listing: Listing) -> None:
    """Raise ``Conflict`` when the working draft cannot be edited now (under review, or withdrawn).
    The one rule for ``listing_update`` and for the edit page, which does not offer a form then."""
    if listing.status in NOT_EDITABLE_STATUSES:
        raise Conflict(_("A listing under review or withdrawn cannot be edited."), code="not_editable")


@transaction.atomic
def listing_update(*, actor: User, listing: Listing, data: ListingData) -> Listing:
    """Change the working draft. A published listing stays visible as its current version."""
    listing = _locked(listing.pk)
    _require_owner(actor, listing)
    listing_check_editable(listing=listing)
    cleaned = clean_draft(lot=listing.lot, data=data, base=draft_of(listing))
    before_status = listing.status
    if listing.status == Listing.Status.REJECTED:
        check_transition(listing, Listing.Status.DRAFT)
        listing.status = Listing.Status.DRAFT
    changed = sorted(k for k in data if k in DRAFT_FIELDS)
    stock_before = listing.stock
    _apply(listing, cleaned)
    listing.has_unpublished_changes = True
    listing.save()
    listing.categories.set(cleaned["categories"])
    if listing.stock != stock_before:
        set_stock_flag(listing=listing)
    audit_record(action="listing.updated", actor=actor, organization=organization_of(actor), target=listing,
                 payload={"fields": changed, "status_before": before_status, "status": listing.status})
    return listing


@transaction.atomic
def listing_submit(*, actor: User, listing: Listing) -> Listing:
    listing = _locked(listing.pk)
    _require_owner(actor, listing)
    if listing.status == Listing.Status.PUBLISHED and not listing.has_unpublished_changes:
        raise Conflict(_("There are no changes to submit."), code="no_changes")
    rules.require_framework_accepts_listings(listing.framework)
    rules.require_admitted(supplier=listing.supplier, lot=listing.lot)
    clean_draft(lot=listing.lot, data={}, base=draft_of(listing), require_complete=True)
    before = listing.status
    if listing.status == Listing.Status.REJECTED:
        check_transition(listing, Listing.Status.DRAFT)
        listing.status = Listing.Status.DRAFT
    check_transition(listing, Listing.Status.SUBMITTED)
    listing.status = Listing.Status.SUBMITTED
    listing.save(update_fields=["status", "updated_at"])
    audit_record(action="listing.submitted", actor=actor, organization=listing.supplier, target=listing,
                 payload={"from": before})
    return listing


def content_hash(content: dict) -> str:
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def build_version(*, listing: Listing, number: int, category_ids: list[int], ceiling_price: Decimal,
                  published_by: User | None, published_at: datetime) -> ListingVersion:
    """The immutable version of the listing's current draft (unsaved). Used by publish and bulk loads."""
    content = {
        "listing": listing.pk, "number": number, "supplier": listing.supplier_id, "framework": listing.framework_id,
        "lot": listing.lot_id, "title": listing.title, "summary": listing.summary, "description": listing.description,
        "features": list(listing.features), "benefits": list(listing.benefits), "attributes": dict(listing.attributes),
        "category_ids": sorted(category_ids), "unit": listing.unit, "unit_price": str(listing.unit_price),
        "ceiling_price": str(ceiling_price), "minimum_commitment": str(listing.minimum_commitment),
        "lead_time_days": listing.lead_time_days, "exit_statement": listing.exit_statement,
    }
    return ListingVersion(
        listing=listing, number=number, supplier_id=listing.supplier_id, framework_id=listing.framework_id,
        lot_id=listing.lot_id, title=listing.title, summary=listing.summary, description=listing.description,
        features=list(listing.features), benefits=list(listing.benefits), attributes=dict(listing.attributes),
        category_ids=sorted(category_ids), unit=listing.unit, unit_price=listing.unit_price,
        ceiling_price=ceiling_price, minimum_commitment=listing.minimum_commitment,
        lead_time_days=listing.lead_time_days, exit_statement=listing.exit_statement,
        content_hash=content_hash(content), published_at=published_at, published_by=published_by,
    )


@transaction.atomic
def listing_publish(*, actor: User, listing: Listing) -> Listing:
    """Authority: freeze the draft into a new immutable version and make it the one buyers see."""
    listing = _locked(listing.pk)
    _require_authority(actor, listing)
    check_transition(listing, Listing.Status.PUBLISHED)
    rules.require_framework_accepts_listings(listing.framework)
    rules.require_admitted(supplier=listing.supplier, lot=listing.lot)
    cleaned = clean_draft(lot=listing.lot, data={}, base=draft_of(listing), require_complete=True)
    errors = rules.Errors()
    ceiling = rules.check_price_within_ceiling(lot=listing.lot, unit=listing.unit, unit_price=listing.unit_price,
                                               errors=errors)
    if errors or ceiling is None:
        raise ValidationFailed(_("The listing is not valid."), fields=dict(errors))
    last = listing.versions.order_by("-number").values_list("number", flat=True).first() or 0
    version = build_version(listing=listing, number=last + 1, category_ids=cleaned["categories"],
                            ceiling_price=ceiling, published_by=actor, published_at=timezone.now())
    version.save(force_insert=True)
    listing.status = Listing.Status.PUBLISHED
    listing.current_version = version
    listing.has_unpublished_changes = False
    listing.rejection_reason = ""
    listing.save(update_fields=["status", "current_version", "has_unpublished_changes", "rejection_reason", "updated_at"])
    index_listing(listing=listing)
    audit_record(action="listing.published", actor=actor, organization=organization_of(actor), target=listing,
                 payload={"version": version.number, "version_id": version.pk, "content_hash": version.content_hash,
                          "unit_price": str(version.unit_price), "ceiling_price": str(ceiling)})
    return listing


@transaction.atomic
def listing_reject(*, actor: User, listing: Listing, reason: str) -> Listing:
    listing = _locked(listing.pk)
    _require_authority(actor, listing)
    reason = (reason or "").strip()
    if not reason:
        # The same sentence in the summary and next to the field, as the error-summary pattern asks.
        message = _("Give the reason for rejection; the supplier will see it.")
        raise ValidationFailed(message, fields={"reason": [message]})
    check_transition(listing, Listing.Status.REJECTED)
    listing.status = Listing.Status.REJECTED
    listing.rejection_reason = reason
    listing.save(update_fields=["status", "rejection_reason", "updated_at"])
    audit_record(action="listing.rejected", actor=actor, organization=organization_of(actor), target=listing,
                 payload={"reason": reason})
    return listing


def _move(*, actor: User, listing: Listing, target: str, action: str, payload: dict | None = None) -> Listing:
    check_transition(listing, target)
    listing.status = target
    listing.save(update_fields=["status", "updated_at"])
    index_listing(listing=listing)
    audit_record(action=action, actor=actor, organization=organization_of(actor), target=listing, payload=payload or {})
    return listing


@transaction.atomic
def listing_withdraw(*, actor: User, listing: Listing) -> Listing:
    """The owner (or the authority) takes the listing off the catalog for good."""
    listing = _locked(listing.pk)
    organization = organization_of(actor)
    if organization is None or organization.pk not in (listing.supplier_id, listing.framework.authority_id):
        raise Forbidden(_("Only the owner or the framework's authority can withdraw this listing."))
    return _move(actor=actor, listing=listing, target=Listing.Status.WITHDRAWN, action="listing.withdrawn")


@transaction.atomic
def listing_suspend(*, actor: User, listing: Listing, reason: str = "") -> Listing:
    listing = _locked(listing.pk)
    _require_authority(actor, listing)
    return _move(actor=actor, listing=listing, target=Listing.Status.SUSPENDED, action="listing.suspended",
                 payload={"reason": reason})


@transaction.atomic
def listing_reinstate(*, actor: User, listing: Listing) -> Listing:
    listing = _locked(listing.pk)
    _require_authority(actor, listing)
    rules.require_admitted(supplier=listing.supplier, lot=listing.lot)
    return _move(actor=actor, listing=listing, target=Listing.Status.PUBLISHED, action="listing.reinstated")


@transaction.atomic
def listing_set_stock(*, actor: User, listing: Listing, stock: int | str | None) -> Listing:
    """Stock is live, not versioned: 0 shows the listing out of stock and stops orders."""
    listing = _locked(listing.pk)
    _require_owner(actor, listing)
    if listing.status == Listing.Status.WITHDRAWN:
        raise Conflict(_("A withdrawn listing cannot change."), code="not_editable")
    errors = rules.Errors()
    value = rules.clean_optional_int(stock, errors, "stock")
    if errors:
        raise ValidationFailed(_("The stock is not valid."), fields=dict(errors))
    before = listing.stock
    listing.stock = value
    listing.save(update_fields=["stock", "updated_at"])
    set_stock_flag(listing=listing)
    audit_record(action="listing.stock_set", actor=actor, organization=listing.supplier, target=listing,
                 payload={"before": before, "after": value})
    return listing
