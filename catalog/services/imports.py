"""Bulk import of draft listings from CSV: all-or-nothing, with a row-by-row error report.

Columns: lot (number), title, summary, description, features, benefits (items separated by "|"),
categories (need slugs separated by "|"), unit, unit_price, minimum_commitment, lead_time_days,
stock, exit_statement, and one ``attr:<key>`` column per question (multiple choices separated by "|").
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import User
from django.core.files.base import File
from django.db import transaction
from django.utils.translation import gettext as _

from agreements.models import FrameworkAgreement, Lot, Organization
from audit.services import audit_record
from catalog.models import AttributeDefinition, Listing, NeedCategory
from catalog.services import validation as rules
from catalog.services.listings import _supplier_of, clean_draft
from common.errors import DomainError, Forbidden, ValidationFailed
from common.money import round_price
from common.uploads import read_csv_upload

REQUIRED_COLUMNS = ("lot", "title", "summary", "unit", "unit_price")
OPTIONAL_COLUMNS = ("description", "features", "benefits", "categories", "minimum_commitment", "lead_time_days",
                    "stock", "exit_statement")
TEXT_COLUMNS = ("title", "summary", "description", "unit", "unit_price", "minimum_commitment", "lead_time_days",
                "stock", "exit_statement")  # read by the draft service as written
ATTRIBUTE_PREFIX = "attr:"

CsvSource = File | bytes | str  # an upload, or its content


def import_template_csv(*, framework: FrameworkAgreement) -> str:
    """A CSV to fill in: every column the import reads (``attr:<key>`` for each filter question of
    the framework's lots) and one example row for its first lot."""
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


@dataclass(frozen=True)
class ImportTargets:
    """What a row may name: the framework's lots by number, the needs by code or name, and the lots the
    supplier is admitted to."""

    framework: FrameworkAgreement
    lots: dict[str, Lot]
    needs: dict[str, int]
    admitted: set[int]

    @classmethod
    def load(cls, *, framework: FrameworkAgreement, supplier: Organization) -> ImportTargets:
        needs = dict(NeedCategory.objects.values_list("slug", "pk"))
        # A need may be given by its code (slug) or by its name as the pages show it, any case.
        for name, pk in NeedCategory.objects.values_list("name", "pk"):
            needs.setdefault(name.strip().lower(), pk)
        return cls(framework=framework, lots={str(lot.number): lot for lot in Lot.objects.filter(framework=framework)},
                   needs=needs, admitted=set(supplier.admissions.filter(status="admitted").values_list("lot_id", flat=True)))

    def need(self, name: str) -> int | None:
        return self.needs.get(name, self.needs.get(name.lower()))


def _row_lot(targets: ImportTargets, row: dict[str, str], errors: dict[str, list[str]]) -> Lot | None:
    """The row's lot, when it names one of the framework's lots that the supplier is admitted to."""
    lot = targets.lots.get((row.get("lot") or "").strip())
    if lot is None:
        errors["lot"] = [_("No lot with this number in %(framework)s.") % {"framework": targets.framework.reference}]
    elif lot.pk not in targets.admitted:
        errors["lot"] = [_("Your organization is not admitted to this lot.")]
    return lot


def _row_needs(targets: ImportTargets, row: dict[str, str], errors: dict[str, list[str]]) -> list[int]:
    names = _split(row.get("categories", ""))
    unknown = [name for name in names if targets.need(name) is None]
    if unknown:
        errors["categories"] = [_("Unknown needs: %(slugs)s.") % {"slugs": ", ".join(unknown)}]
    return [pk for pk in (targets.need(name) for name in names) if pk is not None]


def _row_answers(row: dict[str, str]) -> dict[str, str | list[str]]:
    """The ``attr:<key>`` columns that hold an answer; several choices are separated by "|"."""
    return {key[len(ATTRIBUTE_PREFIX):]: (_split(value) if "|" in (value or "") else (value or "").strip())
            for key, value in row.items() if key and key.startswith(ATTRIBUTE_PREFIX) and (value or "").strip()}


def _row_draft(row: dict[str, str], categories: list[int]) -> dict:
    """The row as the draft service reads a listing (texts as written; lists split on "|")."""
    return {
        **{column: row.get(column, "") for column in TEXT_COLUMNS},
        "features": _split(row.get("features", "")), "benefits": _split(row.get("benefits", "")),
        "categories": categories, "attributes": _row_answers(row),
    }


def _check_row(targets: ImportTargets, row: dict[str, str]) -> tuple[Lot | None, dict | None, dict[str, list[str]]]:
    """One row: its lot, its cleaned draft, and its problems, each named by its CSV column."""
    errors: dict[str, list[str]] = {}
    lot = _row_lot(targets, row, errors)
    data = _row_draft(row, _row_needs(targets, row, errors))
    if lot is None:
        return None, None, errors
    try:
        return lot, clean_draft(lot=lot, data=data), errors
    except DomainError as error:
        for field, messages in error.fields.items():
            errors.setdefault(_column_of(field), []).extend(messages)
        return lot, None, errors


def _create_drafts(*, actor: User, supplier: Organization, framework: FrameworkAgreement,
                   prepared: list[tuple[Lot, dict]]) -> list[Listing]:
    created = []
    for lot, cleaned in prepared:
        listing = Listing(supplier=supplier, framework=framework, lot=lot, created_by=actor)
        for field, value in cleaned.items():
            if field != "categories":
                setattr(listing, field, value)
        listing.save()
        listing.categories.set(cleaned["categories"])
        created.append(listing)
    return created


@transaction.atomic
def listings_import_csv(*, actor: User, framework: FrameworkAgreement, file: CsvSource) -> list[Listing]:
    """Create one draft per row of ``file`` (an upload, bytes or text; read by ``read_csv_upload``
    within the upload limits). If any row is wrong nothing is created and the error lists every row's problems:
    ``ValidationFailed`` with ``extra={"rows": [{"row": <line number>, "errors": {column: [messages]}}]}``, each
    problem named by the CSV column it is in."""
    supplier = _supplier_of(actor)
    rules.require_framework_accepts_listings(framework)
    if not supplier.admissions.filter(lot__framework=framework, status="admitted").exists():
        # Refused before the file is read: a supplier with no lot here has nothing to import.
        raise Forbidden(_("Your organization is not admitted to any lot of this framework."), code="not_admitted")
    rows = read_csv_upload(file, required_columns=REQUIRED_COLUMNS)
    targets = ImportTargets.load(framework=framework, supplier=supplier)
    report, prepared = [], []
    for line, row in enumerate(rows, start=2):  # line 1 is the header
        lot, cleaned, errors = _check_row(targets, row)
        if errors:
            report.append({"row": line, "errors": errors})
        else:
            prepared.append((lot, cleaned))
    if report:
        raise ValidationFailed(
            _("%(bad)s of %(total)s rows have errors; nothing was imported.") % {"bad": len(report), "total": len(rows)},
            code="csv_rows_invalid", extra={"rows": report},
        )
    created = _create_drafts(actor=actor, supplier=supplier, framework=framework, prepared=prepared)
    audit_record(action="listing.imported", actor=actor, organization=supplier, target_type="catalog.listing",
                 target_id=",".join(str(listing.pk) for listing in created)[:200],
                 payload={"framework": framework.reference, "rows": len(created),
                          "listings": [listing.pk for listing in created]})
    return created
