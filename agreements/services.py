"""Every write about parties, frameworks, lots, ceiling prices and admissions.

Each service is atomic, checks who acts, enforces the lifecycle tables on the models and
records an audit event in the same transaction.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agreements.models import (
    MAX_CAP_INCREASE_PERCENT,
    Admission,
    CeilingPrice,
    FrameworkAgreement,
    Lot,
    Membership,
    Organization,
)
from agreements.selectors import frameworks_due_to_expire, is_authority_administrator, organization_of
from audit.services import audit_record
from common.errors import Conflict, Forbidden, ValidationFailed
from common.lifecycle import check_transition
from common.money import MAX_PRICE, round_price, to_decimal


def require_authority_administrator(actor: User) -> None:
    """Only an administrator of a procurement authority (or a superuser: the admin site, the demo seed)
    registers organizations, their members and the need taxonomy; oversight and everyone else are refused."""
    if actor.is_superuser or is_authority_administrator(actor):
        return
    raise Forbidden(_("Only an administrator of the procurement authority can do this."))


def _require_authority_of(*, actor: User | None, framework: FrameworkAgreement) -> None:
    """Only the framework's own authority (or a superuser through the admin/system) may act."""
    if actor is None or getattr(actor, "is_superuser", False):
        return
    if organization_of(actor) != framework.authority:
        raise Forbidden(_("Only the framework's procurement authority can do this."))


def _actor_org(actor: User | None) -> Organization | None:
    return organization_of(actor) if actor is not None else None


@transaction.atomic
def organization_create(
    *,
    kind: str,
    name: str,
    legal_identifier: str,
    country: str,
    identifier_scheme: str = "XX-LOCAL",
    contact_email: str = "",
    actor: User,
) -> Organization:
    require_authority_administrator(actor)
    if kind not in Organization.Kind.values:
        raise ValidationFailed(_("Unknown organization kind."), fields={"kind": [_("Choose one of the kinds.")]})
    if len(country) != 2 or not country.isalpha():
        raise ValidationFailed(_("Country must be a two-letter ISO code."), fields={"country": [_("e.g. PE, CO, GB.")]})
    organization = Organization.objects.create(
        kind=kind, name=name.strip(), legal_identifier=legal_identifier.strip(), country=country.upper(),
        identifier_scheme=identifier_scheme, contact_email=contact_email,
    )
    audit_record(
        action="organization.created", actor=actor, organization=_actor_org(actor), target=organization,
        payload={"kind": kind, "name": organization.name, "legal_identifier": organization.legal_identifier},
    )
    return organization


@transaction.atomic
def membership_add(*, actor: User, user: User, organization: Organization, role: str) -> Membership:
    require_authority_administrator(actor)
    if role not in Membership.Role.values:
        raise ValidationFailed(_("Unknown role."), fields={"role": [_("Choose one of the roles.")]})
    other = Membership.objects.filter(user=user).exclude(organization=organization).first()
    if other is not None:
        raise Conflict(_("This user already belongs to another organization."), code="other_organization")
    membership, created = Membership.objects.get_or_create(user=user, organization=organization, role=role)
    if created:
        audit_record(
            action="membership.added", actor=actor, organization=organization, target=membership,
            payload={"user": user.get_username(), "role": role},
        )
    return membership


@transaction.atomic
def framework_create(
    *,
    actor: User | None,
    authority: Organization,
    reference: str,
    title: str,
    currency: str,
    start_date: date,
    end_date: date,
    description: str = "",
    direct_award_allowed: bool = True,
    max_frozen_results: int = 30,
    min_quotation_business_days: int = 2,
    max_call_off_months: int = 24,
    max_cap_increase_percent: int | None = None,
) -> FrameworkAgreement:
    if authority.kind != Organization.Kind.AUTHORITY:
        raise ValidationFailed(_("A framework must belong to a procurement authority."))
    if actor is not None and not actor.is_superuser and organization_of(actor) != authority:
        raise Forbidden(_("Only members of the authority can create its frameworks."))
    errors: dict[str, list[str]] = {}
    if end_date <= start_date:
        errors["end_date"] = [_("The end date must be after the start date.")]
    if len(currency) != 3 or not currency.isalpha():
        errors["currency"] = [_("Use a three-letter ISO 4217 code such as PEN, COP or GBP.")]
    if max_frozen_results < 1:
        errors["max_frozen_results"] = [_("Must be at least 1.")]
    if max_call_off_months < 1:
        errors["max_call_off_months"] = [_("Must be at least 1.")]
    if max_cap_increase_percent is not None and not 0 <= max_cap_increase_percent <= MAX_CAP_INCREASE_PERCENT:
        errors["max_cap_increase_percent"] = [
            _("Enter a percentage from 0 to %(max)s, or leave it empty for no limit.") % {"max": MAX_CAP_INCREASE_PERCENT}]
    if FrameworkAgreement.objects.filter(reference=reference).exists():
        errors["reference"] = [_("A framework with this reference already exists.")]
    if errors:
        raise ValidationFailed(_("The framework could not be created."), fields=errors)
    framework = FrameworkAgreement.objects.create(
        authority=authority, reference=reference, title=title, description=description, currency=currency.upper(),
        start_date=start_date, end_date=end_date, direct_award_allowed=direct_award_allowed,
        max_frozen_results=max_frozen_results, min_quotation_business_days=min_quotation_business_days,
        max_call_off_months=max_call_off_months, max_cap_increase_percent=max_cap_increase_percent,
    )
    audit_record(
        action="framework.created", actor=actor, organization=authority, target=framework,
        payload={"reference": reference, "title": title, "currency": framework.currency,
                 "start_date": start_date, "end_date": end_date,
                 "max_cap_increase_percent": max_cap_increase_percent},
    )
    return framework


@transaction.atomic
def framework_transition(
    *, actor: User | None, framework: FrameworkAgreement, target: str, reason: str = ""
) -> FrameworkAgreement:
    """Move a framework along its lifecycle (locks the row; audited)."""
    framework = FrameworkAgreement.objects.select_for_update().get(pk=framework.pk)
    _require_authority_of(actor=actor, framework=framework)
    previous = check_transition(framework, target)
    if target == FrameworkAgreement.Status.LIVE and not framework.lots.exists():
        raise Conflict(_("A framework needs at least one lot before it can go live."), code="no_lots")
    if target == FrameworkAgreement.Status.TERMINATED and not reason.strip():
        raise ValidationFailed(_("Give a reason for terminating the framework."), fields={"reason": [_("Required.")]})
    framework.status = target
    framework.status_changed_at = timezone.now()
    framework.save(update_fields=["status", "status_changed_at"])
    audit_record(
        action=f"framework.{target}", actor=actor, organization=framework.authority, target=framework,
        payload={"from": previous, "to": target, "reason": reason},
    )
    return framework


@transaction.atomic
def lot_create(
    *, actor: User | None, framework: FrameworkAgreement, number: int, title: str, description: str = "",
    is_goods: bool = False, max_delivery_days: int | None = None,
) -> Lot:
    framework = FrameworkAgreement.objects.select_for_update().get(pk=framework.pk)
    _require_authority_of(actor=actor, framework=framework)
    if framework.status not in (FrameworkAgreement.Status.DRAFT, FrameworkAgreement.Status.OPEN):
        raise Conflict(_("Lots can only be added while the framework is draft or open."), code="framework_not_editable")
    if Lot.objects.filter(framework=framework, number=number).exists():
        raise ValidationFailed(_("This lot number is taken."), fields={"number": [_("Choose another number.")]})
    lot = Lot.objects.create(
        framework=framework, number=number, title=title, description=description, is_goods=is_goods,
        max_delivery_days=max_delivery_days,
    )
    audit_record(
        action="lot.created", actor=actor, organization=framework.authority, target=lot,
        payload={"framework": framework.reference, "number": number, "title": title, "is_goods": is_goods},
    )
    return lot


@transaction.atomic
def ceiling_price_set(*, actor: User | None, lot: Lot, unit: str, max_unit_price: Decimal | str) -> CeilingPrice:
    """Create or change a ceiling. Lowering it never rewrites published listing versions."""
    framework = FrameworkAgreement.objects.select_for_update().get(pk=lot.framework_id)
    _require_authority_of(actor=actor, framework=framework)
    try:
        price = round_price(to_decimal(max_unit_price))
    except (TypeError, ValueError, ArithmeticError):
        # ArithmeticError: decimal.InvalidOperation when the value has too many digits to quantize.
        raise ValidationFailed(_("Enter the ceiling as a number."), fields={"max_unit_price": [_("Not a number.")]})
    if price <= 0:
        raise ValidationFailed(_("The ceiling must be above zero."), fields={"max_unit_price": [_("Must be above zero.")]})
    if price >= MAX_PRICE:
        # The column holds 18 digits with 6 decimals; PostgreSQL would refuse the row with a server error.
        raise ValidationFailed(
            _("The ceiling is too large."), fields={"max_unit_price": [_("Must be below 1,000,000,000,000.")]}
        )
    unit = unit.strip()
    if not unit:
        raise ValidationFailed(_("Name the unit."), fields={"unit": [_("Required.")]})
    ceiling, created = CeilingPrice.objects.select_for_update().get_or_create(
        lot=lot, unit=unit, defaults={"max_unit_price": price}
    )
    previous = None if created else str(ceiling.max_unit_price)
    if not created:
        ceiling.max_unit_price = price
        ceiling.save(update_fields=["max_unit_price"])
    audit_record(
        action="ceiling_price.set", actor=actor, organization=framework.authority, target=ceiling,
        payload={"lot": lot.pk, "unit": unit, "max_unit_price": price, "previous": previous},
    )
    return ceiling


@transaction.atomic
def admission_apply(*, actor: User | None, supplier: Organization, lot: Lot) -> Admission:
    if supplier.kind != Organization.Kind.SUPPLIER:
        raise ValidationFailed(_("Only suppliers can apply to a lot."))
    if actor is not None and not actor.is_superuser and organization_of(actor) != supplier:
        raise Forbidden(_("You can only apply on behalf of your own organization."))
    lot = Lot.objects.select_related("framework").get(pk=lot.pk)
    if lot.framework.status != FrameworkAgreement.Status.OPEN:
        raise Conflict(_("This framework is not open to applications."), code="framework_not_open")
    admission, created = Admission.objects.get_or_create(supplier=supplier, lot=lot)
    if not created:
        raise Conflict(_("This supplier has already applied to this lot."), code="already_applied")
    audit_record(
        action="admission.applied", actor=actor, organization=supplier, target=admission,
        payload={"supplier": supplier.name, "lot": lot.pk, "framework": lot.framework.reference},
    )
    return admission


@transaction.atomic
def admission_transition(*, actor: User | None, admission: Admission, target: str, reason: str = "") -> Admission:
    """Admit, reject, suspend, reinstate or exclude a supplier (authority only; audited)."""
    admission = Admission.objects.select_for_update().select_related("lot__framework", "supplier").get(pk=admission.pk)
    framework = admission.lot.framework
    _require_authority_of(actor=actor, framework=framework)
    previous = check_transition(admission, target)
    if target in (Admission.Status.REJECTED, Admission.Status.SUSPENDED, Admission.Status.EXCLUDED) and not reason.strip():
        raise ValidationFailed(_("Give the supplier a reason for this decision."), fields={"reason": [_("Required.")]})
    admission.status = target
    admission.reason = reason
    admission.decided_at = timezone.now()
    admission.save(update_fields=["status", "reason", "decided_at"])
    audit_record(
        action=f"admission.{target}", actor=actor, organization=framework.authority, target=admission,
        payload={"supplier": admission.supplier.name, "lot": admission.lot_id, "from": previous, "to": target,
                 "reason": reason},
    )
    return admission


def frameworks_expire_due(*, today: date | None = None) -> list[int]:
    """Move every live framework whose end date has passed to expired. Safe to run twice."""
    today = today or timezone.localdate()
    expired = []
    for framework_id in frameworks_due_to_expire(today=today).values_list("pk", flat=True):
        with transaction.atomic():
            framework = FrameworkAgreement.objects.select_for_update().get(pk=framework_id)
            if framework.status != FrameworkAgreement.Status.LIVE or framework.end_date >= today:
                continue
            framework_transition(actor=None, framework=framework, target=FrameworkAgreement.Status.EXPIRED,
                                 reason="end date passed")
            expired.append(framework_id)
    return expired
