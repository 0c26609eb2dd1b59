"""Bulk import of draft listings from CSV: all-or-nothing, with a row-by-row error report.

Columns: lot (number), title, summary, description, features, benefits (items separated by "|"),
categories (need slugs separated by "|"), unit, unit_price, minimum_commitment, lead_time_days,
stock, exit_statement, and one ``attr:<key>`` column per question (multiple choices separated by "|").
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from agreements.models import FrameworkAgreement, Lot
from audit.services import audit_record
from catalog.models import Listing, NeedCategory
from catalog.services import validation as rules
from catalog.services.listings import _supplier_of, clean_draft
from common.errors import DomainError, ValidationFailed
from common.money import round_price
from common.uploads import read_csv_upload

REQUIRED_COLUMNS = ("lot", "title", "summary", "unit", "unit_price")
OPTIONAL_COLUMNS = ("description", "features", "benefits", "categories", "minimum_commitment", "lead_time_days",
                    "stock", "exit_statement")


def import_template_csv(*, framework: FrameworkAgreement) -> str:
    """A CSV to fill in: every column the import reads (``attr:<key>`` for each filter question of
    the framework's lots) and one example row for its first lot."""
    import csv
    import io

    from catalog.models import AttributeDefinition

    keys = sorted(set(AttributeDefinition.objects.filter(lot__framework=framework).values_list("key", flat=True)))
    lot = framework.lots.order_by("number").first()
    header = [*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS, *(f"attr:{key}" for key in keys)]
    example = _example_row(lot) if lot else {}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerow([example.get(column, "") for column in header])
    return out.getvalue()


EXAMPLE_PRICE_SHARE = Decimal("0.9")
EXAMPLE_STOCK = 200
EXAMPLE_LEAD_TIME_DAYS = 5


def _example_row(lot: Lot) -> dict[str, object]:
    """An example that fits ``lot``: goods (stock, delivery lead time) or a service, priced in the lot's
    first ceiling unit below its ceiling, so the row passes validation as it stands."""
    ceiling = lot.ceiling_prices.order_by("unit").first()
    category = NeedCategory.objects.filter(lots=lot).order_by("path").first()
    row: dict[str, object] = {
        "lot": lot.number, "unit": ceiling.unit if ceiling else "",
        "unit_price": _plain_price(round_price(ceiling.max_unit_price * EXAMPLE_PRICE_SHARE)) if ceiling else "",
        "categories": category.slug if category else "",
    }
    if lot.is_goods:
        row.update({
            "title": _("Example: A4 copy paper, 80 g/m²"),
            "summary": _("White A4 paper for printers and copiers, sold by the %(unit)s.")
            % {"unit": row["unit"] or _("unit")},
            "features": "|".join([_("Acid-free, 500 sheets a ream"), _("Delivered to the buyer's office")]),
            "stock": EXAMPLE_STOCK,
            "lead_time_days": min(EXAMPLE_LEAD_TIME_DAYS, lot.max_delivery_days or EXAMPLE_LEAD_TIME_DAYS),
        })
    else:
        row.update({
            "title": _("Example: managed backup"),
            "summary": _("One sentence a buyer reads first."),
            "features": "|".join([_("First feature"), _("Second feature")]),
            "exit_statement": _("How the buyer gets its data back at the end."),
        })
    return row


def _plain_price(price: Decimal) -> str:
    """The price as the import reads it back: a dot for decimals, 2 to 6 places, no grouping."""
    places = max(2, -price.normalize().as_tuple().exponent)
    return f"{price:.{places}f}"


def _column_of(field: str) -> str:
    """The CSV column a validation error is about: answers are checked as ``attributes.<key>`` but
    written in the file as ``attr:<key>``."""
    prefix = "attributes."
    return f"attr:{field[len(prefix):]}" if field.startswith(prefix) else field


def _split(value: str) -> list[str]:
    return [part.strip() for part in (value or "").split("|") if part.strip()]


@transaction.atomic
def listings_import_csv(*, actor, framework: FrameworkAgreement, file) -> list[Listing]:
    """Create one draft per row of ``file`` (an upload, bytes or text; read by ``read_csv_upload``
    within the upload limits). If any row is wrong nothing is created and the error lists every row's problems:
    ``ValidationFailed`` with ``extra={"rows": [{"row": <line number>, "errors": {column: [messages]}}]}``, each
    problem named by the CSV column it is in."""
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
                    errors.setdefault(_column_of(field), []).extend(messages)
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
