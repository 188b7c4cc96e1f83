"""An entry's canonical bytes: the fast encoding equals canonical JSON, and the database
assembles them byte for byte alike, whatever text a field holds."""

from django.db import connection, transaction

from lawtrail.core.canonical import canonical_bytes, sha256_hex
from lawtrail.ledger.formats import ENTRY_FIELDS, entry_bytes
from lawtrail.ledger.models import Entry
from lawtrail.ledger.selectors import entry_chunks
from lawtrail.ledger.services import ledger_append
from lawtrail.testing import behind_the_ledger


def test_the_fast_entry_encoding_equals_canonical_json(db):
    with transaction.atomic():
        ledger_append(actor=None, action="note", object_type="t", object_id="1", reason='引号"、反斜杠\\ 和 \n 换行 \u2028')
    entry = Entry.objects.values(*ENTRY_FIELDS).get()
    assert entry_bytes(entry) == canonical_bytes({"v": 1, **entry})


HOSTILE = ['引号"、反斜杠\\ 斜杠/ 和 \n 换行 \t\r\b\f', "控制字符 \x01\x1f\x7f", "\u2028\u2029 行分隔",
           "<script>alert(1)</script>", "😀 补充平面", "é́ 组合字符", ""]


def test_the_database_assembles_each_entry_byte_for_byte_as_entry_bytes(db):
    """verify reads entries as the database assembles them; for every kind of text a field
    may hold, those bytes must be `entry_bytes` (else each costs a second encoding)."""
    with transaction.atomic():
        for text in HOSTILE:
            ledger_append(actor=None, action="note", object_type=text, object_id=text, object_hash=text,
                          scope=text, reason=text)
    with transaction.atomic():  # a time on the whole second: SQLite keeps it without the fraction
        entry = ledger_append(actor=None, action="note", reason="整秒")
    whole = {**Entry.objects.values(*ENTRY_FIELDS).get(seq=entry.seq), "time": entry.time.replace(microsecond=0)}
    behind_the_ledger("UPDATE ledger_entry SET time = %s, entry_hash = %s WHERE seq = %s",
                      [connection.ops.adapt_datetimefield_value(whole["time"]), sha256_hex(entry_bytes(whole)),
                       entry.seq])
    want = [entry_bytes(values) for values in Entry.objects.order_by("seq").values(*ENTRY_FIELDS)]
    assert Entry.objects.get(seq=entry.seq).time.microsecond == 0
    [chunk] = list(entry_chunks(in_database=True))
    assert chunk.data == want and chunk.tampered == []
    [by_python] = list(entry_chunks(in_database=False))
    assert by_python.data == want and by_python.tampered == []
