"""The check ledger (检查台帐) as an Excel workbook and as a PDF."""

import io

from django.template.loader import render_to_string
from django.utils import timezone

from lawtrail.core.spreadsheet import xlsx_append
from lawtrail.supervision.selectors import LEDGER_COLUMNS, ledger_rows


def ledger_xlsx(agency, checks) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    sheet = book.active
    sheet.title = "检查台帐"
    xlsx_append(sheet, [f"{agency.name} 执法音像记录回放检查台帐（{timezone.localdate():%Y年%m月%d日} 导出）"])
    sheet["A1"].font = Font(bold=True, size=13)
    xlsx_append(sheet, LEDGER_COLUMNS)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in ledger_rows(checks):
        xlsx_append(sheet, row)
    for column, width in zip("ABCDEFGHIJK", (6, 17, 20, 22, 24, 12, 60, 8, 30, 24, 12)):
        sheet.column_dimensions[column].width = width
    for row in sheet.iter_rows(min_row=3):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def ledger_pdf(agency, checks) -> bytes:
    from weasyprint import HTML

    html = render_to_string("supervision/ledger.html", {
        "agency": agency, "columns": LEDGER_COLUMNS, "rows": list(ledger_rows(checks)), "now": timezone.localtime()})
    return HTML(string=html).write_pdf()
