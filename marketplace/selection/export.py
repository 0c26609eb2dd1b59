"""Downloads of a frozen search: the snapshot and the comparison, as CSV and XLSX.

Cells that a spreadsheet would run as a formula (text starting with = + - @) are written as plain
text: supplier-written titles must never execute in the buyer's spreadsheet.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from common.spreadsheet import spreadsheet_safe
from marketplace.selection.models import SavedSearch
from marketplace.selection.selectors import JUDGE, MET, NOT_MET, Comparison, snapshot_entries

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def listing_link(request, listing_id: int) -> str:
    """An absolute link to the listing's public page (or its API resource when there is no page)."""
    for name in ("catalog:listing-detail", "catalog:listing", "listing-detail", "api-listing-detail"):
        try:
            return request.build_absolute_uri(reverse(name, args=[listing_id]))
        except NoReverseMatch:
            continue
    return request.build_absolute_uri(f"/api/v1/listings/{listing_id}/")


def _framework_text(search: SavedSearch) -> str:
    framework = search.framework
    return f"{framework.reference} {framework.title}" if framework else ""


def snapshot_header(search: SavedSearch) -> list[list[Any]]:
    return [
        [_("Framework"), _framework_text(search)],
        [_("Search"), search.summary or search.name],
        [_("Search name"), search.name],
        [_("Ended at"), search.frozen_at.isoformat() if search.frozen_at else ""],
        [_("Ended by"), search.frozen_by.get_username() if search.frozen_by else ""],
        [_("Results"), search.result_count or 0],
        [_("Entries hash (SHA-256)"), search.entries_hash],
    ]


SNAPSHOT_COLUMNS = ["rank", "supplier", "title", "summary", "unit", "unit_price", "currency", "link", "contact_email",
                    "contact_phone"]


def _currency_column() -> str:
    # The framework field's own name ("currency" / "moneda"): the same word, no new message.
    return capfirst(_("currency"))


def snapshot_columns() -> list[str]:
    return [_("Rank"), _("Supplier"), _("Title"), _("Summary"), _("Unit"), _("Unit price"), _currency_column(), _("Link"),
            _("Supplier e-mail"), _("Supplier phone")]


def snapshot_rows(search: SavedSearch, *, link_for: Callable[[int], str]) -> list[list[Any]]:
    rows = []
    for entry in snapshot_entries(search=search):
        version = entry.listing_version
        rows.append([
            entry.rank, entry.supplier.name, version.title, version.summary, entry.unit, entry.unit_price,
            version.framework.currency, link_for(version.listing_id), entry.supplier.contact_email, entry.supplier.contact_phone,
        ])
    return rows


RESULT_WORDS = {MET: gettext_lazy("met"), NOT_MET: gettext_lazy("not met"), JUDGE: gettext_lazy("needs judgement")}


def comparison_columns(comparison: Comparison) -> list[str]:
    columns = [_("Rank"), _("Supplier"), _("Title"), _("Unit"), _("Unit price"), _currency_column(), _("Estimated total"),
               _("Difference to lowest"), _("Meets every essential requirement"), _("Lowest compliant")]
    columns += [_("Essential: %(text)s") % {"text": item.text} for item in comparison.essential]
    columns += [_("Desired met"), _("Features"), _("Exit and portability"), _("Stock"), _("Lead time (days)")]
    return columns


def comparison_rows(comparison: Comparison) -> list[list[Any]]:
    rows = []
    for row in comparison.rows:
        version = row.version
        rows.append([
            row.entry.rank, row.entry.supplier.name, version.title, row.entry.unit, row.entry.unit_price,
            version.framework.currency,
            row.estimated_total if row.estimated_total is not None else "",
            row.price_difference if row.price_difference is not None else "",
            _("yes") if row.essential_compliant else _("no"), _("yes") if row.is_lowest else "",
            *[str(RESULT_WORDS[item.result]) for item in row.essential],
            f"{row.desired_met}/{len(row.desired)}", "; ".join(str(f) for f in version.features or []),
            version.exit_statement, "" if row.stock is None else row.stock,
            "" if version.lead_time_days is None else version.lead_time_days,
        ])
    return rows


def render_csv(*, header: list[list[Any]], columns: list[str], rows: list[list[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for line in header:
        writer.writerow([spreadsheet_safe(str(cell)) for cell in line])
    writer.writerow([])
    writer.writerow(columns)
    for row in rows:
        writer.writerow([str(cell) if isinstance(cell, Decimal | int) else spreadsheet_safe(cell) for cell in row])
    # A byte-order mark so that spreadsheet programs read the file as UTF-8.
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def render_xlsx(*, title: str, header: list[list[Any]], columns: list[str], rows: list[list[Any]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title[:31]
    bold = Font(bold=True)

    def put(row_number: int, values: list[Any], *, font=None) -> None:
        for column_number, value in enumerate(values, start=1):
            cell = sheet.cell(row=row_number, column=column_number)
            cell.value = value
            if isinstance(value, str):
                cell.data_type = "s"  # never a formula
            elif isinstance(value, Decimal):
                cell.number_format = "0.00####"
            if font is not None:
                cell.font = font

    row_number = 1
    for line in header:
        put(row_number, line)
        sheet.cell(row=row_number, column=1).font = bold
        row_number += 1
    row_number += 1
    put(row_number, columns, font=bold)
    table_header_row = row_number
    for row in rows:
        row_number += 1
        put(row_number, row)
    sheet.freeze_panes = sheet.cell(row=table_header_row + 1, column=1)
    for column_cells in sheet.iter_cols(min_row=table_header_row, max_row=row_number):
        width = max((len(str(cell.value)) for cell in column_cells if cell.value is not None), default=8)
        sheet.column_dimensions[column_cells[0].column_letter].width = min(60, max(10, width + 2))
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def snapshot_file(search: SavedSearch, *, export_format: str, link_for: Callable[[int], str]) -> tuple[bytes, str, str]:
    """``(content, content type, file name)`` of the frozen snapshot."""
    header, columns, rows = snapshot_header(search), snapshot_columns(), snapshot_rows(search, link_for=link_for)
    name = f"search-{search.pk}-snapshot"
    if export_format == "xlsx":
        return render_xlsx(title=_("Search results"), header=header, columns=columns, rows=rows), XLSX_CONTENT_TYPE, f"{name}.xlsx"
    return render_csv(header=header, columns=columns, rows=rows), CSV_CONTENT_TYPE, f"{name}.csv"


def comparison_file(comparison: Comparison, *, export_format: str) -> tuple[bytes, str, str]:
    search = comparison.search
    header = snapshot_header(search) + [
        [_("Requirement"), comparison.requirement.title],
        [_("Lowest estimated total (compliant)"),
         comparison.lowest_estimated_total if comparison.lowest_estimated_total is not None else ""],
    ]
    columns, rows = comparison_columns(comparison), comparison_rows(comparison)
    name = f"search-{search.pk}-comparison"
    if export_format == "xlsx":
        return render_xlsx(title=_("Comparison"), header=header, columns=columns, rows=rows), XLSX_CONTENT_TYPE, f"{name}.xlsx"
    return render_csv(header=header, columns=columns, rows=rows), CSV_CONTENT_TYPE, f"{name}.csv"
