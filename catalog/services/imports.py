"""Bulk import of draft listings from CSV: all-or-nothing, with a row-by-row error report.

Columns: lot (number), title, summary, description, features, benefits (items separated by "|"),
categories (need slugs separated by "|"), unit, unit_price, minimum_commitment, lead_time_days,
stock, exit_statement, and one ``attr:<key>`` column per question (multiple choices separated by "|").
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from agreements.models import FrameworkAgreement, Lot
from audit.services import audit_record
from catalog.models import Listing, NeedCategory
from catalog.services import validation as rules
from catalog.services.listings import _supplier_of, clean_draft
from common.errors import DomainError, ValidationFailed
from common.uploads import read_csv_upload

REQUIRED_COLUMNS = ("lot", "title", "summary", "unit", "unit_price")
OPTIONAL_COLUMNS = ("description", "features", "benefits", "categories", "minimum_commitment", "lead_time_days",
                    "stock", "exit_statement")


def import_template_csv(*, framework: FrameworkAgreement) -> str:
    """A CSV to fill in: every column the import reads (``attr:<key>`` for each filter question of
    the framework's lots) and one example row for its first lot."""
    import csv
    import io

    from agreements.models import CeilingPrice
    from catalog.models import AttributeDefinition

    keys = sorted(set(AttributeDefinition.objects.filter(lot__framework=framework).values_list("key", flat=True)))
    lot = framework.lots.order_by("number").first()
    ceiling = CeilingPrice.objects.filter(lot=lot).order_by("unit").first() if lot else None
    category = NeedCategory.objects.filter(lots=lot).order_by("path").first() if lot else None
    header = [*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS, *(f"attr:{key}" for key in keys)]
    example = {
        "lot": lot.number if lot else "", "title": "Example: managed backup", "summary": "One sentence a buyer reads first.",
        "unit": ceiling.unit if ceiling else "", "unit_price": ceiling.max_unit_price if ceiling else "",
        "features": "First feature|Second feature", "categories": category.slug if category else "",
        "exit_statement": "How the buyer gets its data back at the end.",
    }
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerow([example.get(column, "") for column in header])
    return out.getvalue()
def _split(value: str) -> list[str]:
    return [part.strip() for part in (value or "").split("|") if part.strip()]


@transaction.atomic
def listings_import_csv(*, actor, framework: FrameworkAgreement, file) -> list[Listing]:
    """Create one draft per row of ``file`` (an upload, bytes or text; read by ``read_csv_upload``
    within the upload limits). If any row is wrong nothing is created and the error lists every row's problems:
    ``ValidationFailed`` with ``extra={"rows": [{"row": <line number>, "errors": {field: [messages]}}]}``."""
    supplier = _supplier_of(actor)
    rules.require_framework_accepts_listings(framework)
    rows = read_csv_upload(file, required_columns=REQUIRED_COLUMNS)
    lots = {str(lot.number): lot for lot in Lot.objects.filter(framework=framework)}
    slugs = dict(NeedCategory.objects.values_list("slug", "pk"))
    # A need may be given by its code (slug) or by its name as the pages show it, any case.
    for name, pk in NeedCategory.objects.values_list("name", "pk"):
        slugs.setdefault(name.strip().lower(), pk)
    admitted = set(supplier.admissions.filter(status="admitted").values_list("lot_id", flat=True))
    report, prepared = [], []
    for line, row in enumerate(rows, start=2):
        errors: dict[str, list[str]] = {}
        lot = lots.get((row.get("lot") or "").strip())
        if lot is None:
            errors["lot"] = [_("No lot with this number in %(framework)s.") % {"framework": framework.reference}]
        elif lot.pk not in admitted:
            errors["lot"] = [_("Your organization is not admitted to this lot.")]
        unknown = [s for s in _split(row.get("categories", "")) if s not in slugs and s.lower() not in slugs]
        if unknown:
            errors["categories"] = [_("Unknown needs: %(slugs)s.") % {"slugs": ", ".join(unknown)}]
        data = {
            "title": row.get("title", ""), "summary": row.get("summary", ""), "description": row.get("description", ""),
            "features": _split(row.get("features", "")), "benefits": _split(row.get("benefits", "")),
            "categories": [slugs.get(s, slugs.get(s.lower())) for s in _split(row.get("categories", ""))
                           if s in slugs or s.lower() in slugs],
            "unit": row.get("unit", ""), "unit_price": row.get("unit_price", ""),
            "minimum_commitment": row.get("minimum_commitment", ""), "lead_time_days": row.get("lead_time_days", ""),
            "stock": row.get("stock", ""), "exit_statement": row.get("exit_statement", ""),
            "attributes": {key[5:]: (_split(value) if "|" in (value or "") else (value or "").strip())
                           for key, value in row.items() if key and key.startswith("attr:") and (value or "").strip()},
        }
        cleaned = None
        if lot is not None:
            try:
                cleaned = clean_draft(lot=lot, data=data)
            except DomainError as error:
                for field, messages in error.fields.items():
                    errors.setdefault(field, []).extend(messages)
        if errors:
            report.append({"row": line, "errors": errors})
        else:
            prepared.append((lot, cleaned))
    if report:
        raise ValidationFailed(
            _("%(bad)s of %(total)s rows have errors; nothing was imported.") % {"bad": len(report), "total": len(rows)},
            code="csv_rows_invalid", extra={"rows": report},
        )
    created = []
    for lot, cleaned in prepared:
        listing = Listing(supplier=supplier, framework=framework, lot=lot, created_by=actor)
        for field, value in cleaned.items():
            if field != "categories":
                setattr(listing, field, value)
        listing.save()
        listing.categories.set(cleaned["categories"])
        created.append(listing)
    audit_record(action="listing.imported", actor=actor, organization=supplier, target_type="catalog.listing",
                 target_id=",".join(str(listing.pk) for listing in created)[:200],
                 payload={"framework": framework.reference, "rows": len(created),
                          "listings": [listing.pk for listing in created]})
    return created
