"""The one way exports write cells: user text is text, code-made numbers and dates stay so."""

import csv
import datetime
import decimal
import io

from openpyxl import Workbook, load_workbook

from lawtrail.core.spreadsheet import CsvWriter, csv_text, xlsx_append

STARTS = ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1"]
XLSX_STARTS = STARTS[:-1]  # an XML reader turns a stored CR into LF: checked in CSV only


def test_every_text_is_a_string_cell_and_numbers_and_dates_keep_their_type():
    book = Workbook()
    when = datetime.datetime(2026, 3, 1, 9, 30)
    xlsx_append(book.active, [*XLSX_STARTS, "#N/A", "执法队", 7, 2.5, datetime.date(2026, 3, 1), when, None])
    row = next(load_workbook(io.BytesIO(_saved(book))).active.iter_rows())
    assert [(c.value, c.data_type) for c in row[:7]] == [(text, "s") for text in [*XLSX_STARTS, "#N/A", "执法队"]]
    assert [c.quotePrefix for c in row[:7]] == [True] * 6 + [False]
    assert [(c.value, c.data_type) for c in row[7:9]] == [(7, "n"), (2.5, "n")]
    assert row[9].is_date and row[9].value == datetime.datetime(2026, 3, 1) and row[10].value == when


def test_a_control_character_is_replaced_instead_of_failing_the_export():
    book = Workbook()
    xlsx_append(book.active, ["未说明\x1b事由", "=1\x00"])
    row = next(load_workbook(io.BytesIO(_saved(book))).active.iter_rows(values_only=True))
    assert row == ("未说明\ufffd事由", "=1\ufffd")


def test_csv_text_that_would_start_a_formula_gets_an_apostrophe_and_numbers_stay():
    assert [csv_text(text) for text in STARTS] == ["'" + text for text in STARTS]
    assert [csv_text(v) for v in ("执法队", "1-2", 42, -3, decimal.Decimal("-1.5"), None)] == [
        "执法队", "1-2", 42, -3, decimal.Decimal("-1.5"), None]

    class Name:
        def __str__(self):
            return "=HYPERLINK(\"http://x\")"

    assert csv_text(Name()) == "'=HYPERLINK(\"http://x\")"  # as csv.writer would write it, escaped


def test_the_csv_writer_quotes_text_and_leaves_numbers_bare():
    out = io.StringIO()
    CsvWriter(out).writerow([12, "-2+3", "a;=1+1", "说\"明\""])
    assert out.getvalue() == '12,"\'-2+3","a;=1+1","说""明"""\r\n'
    assert next(csv.reader(io.StringIO(out.getvalue()))) == ["12", "'-2+3", "a;=1+1", '说"明"']


def _saved(book):
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
