"""Cells of the workbooks and CSV files the product exports: text stays text.

Users type file names, findings and names; a spreadsheet must show them as typed, never
compute them (formula injection, OWASP "CSV Injection"). Every export writes its rows
through this module; numbers and dates the code produced stay numbers and dates."""

import csv
import numbers

# A cell starting with one of these is read as a formula by Excel or LibreOffice (OWASP).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def looks_like_formula(text):
    return text.startswith(FORMULA_STARTS)


def xlsx_append(sheet, row):
    """Append a row to an openpyxl sheet. Each str becomes a string cell, whatever it starts
    with (openpyxl would store "=1+1" as a formula and "#N/A" as an error value); such a text
    also gets Excel's quote prefix, so that editing the cell keeps it text. A character no
    workbook can hold (a control character) becomes U+FFFD rather than failing the export."""
    from openpyxl.cell import Cell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    cells = []
    for value in row:
        if isinstance(value, str):
            cell = Cell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("\ufffd", value))
            if cell.data_type != "s" or looks_like_formula(value):
                cell.quotePrefix = True
            cell.data_type = "s"
            value = cell
        cells.append(value)
    sheet.append(cells)


def csv_text(value):
    """A CSV cell: numbers stay numbers; anything else is written as its text (as csv.writer
    would), and text that would start a formula gets a leading apostrophe (OWASP), which
    spreadsheets show as text."""
    if value is None or isinstance(value, numbers.Number):
        return value
    text = str(value)
    return "'" + text if looks_like_formula(text) else text


class CsvWriter:
    """csv.writer for exports: every cell through csv_text, every text cell quoted so that a
    spreadsheet splitting on another separator (";" in some locales) cannot start a new
    cell inside it."""

    def __init__(self, stream):
        self._writer = csv.writer(stream, quoting=csv.QUOTE_NONNUMERIC)

    def writerow(self, row):
        self._writer.writerow([csv_text(value) for value in row])
