"""`lawtrail verify` passes an intact ledger and names every kind of tampering."""

import pytest
from django.db import connection

from lawtrail.cases.models import Case
from lawtrail.cli import main
from lawtrail.archive.integrity import verify_ledger
from lawtrail.core.canonical import sha256_hex
from lawtrail.ledger.formats import GENESIS_HASH, entry_bytes
from lawtrail.ledger.models import Checkpoint, Entry
from lawtrail.ledger.services import ledger_checkpoint
from lawtrail.org.models import ApiToken, Department
from lawtrail.org.services import token_create
from lawtrail.testing import behind_the_ledger


@pytest.fixture
def history(org):
    """A case carried to decision, with a signed checkpoint in the middle."""
    case = org.open_case()
    org.step(case, "approve_start", "同意立案")
    checkpoint = ledger_checkpoint()
    org.step(case, "submit_review", "调查终结")
    return case, checkpoint


def problems(report, kind=None):
    return [(p.kind, p.ref) for p in report.problems if kind is None or p.kind == kind]


def test_an_intact_ledger_verifies(history):
    report = verify_ledger()
    assert report.ok, report.problems
    assert report.entries == Entry.objects.count() > 10
    assert report.checkpoints == 1
    assert report.objects > 10


def test_the_cli_exits_zero_when_intact_and_nonzero_naming_the_entry_when_not(history, capsys):
    assert main(["verify"]) == 0
    assert "校验通过" in capsys.readouterr().out
    behind_the_ledger("UPDATE ledger_entry SET reason = %s WHERE seq = 3", ["伪造"])
    assert main(["verify", "--json"]) == 1
    out = capsys.readouterr().out
    assert '"ok": false' in out and "entry 3" in out


def test_an_edited_entry_is_named(history):
    behind_the_ledger("UPDATE ledger_entry SET actor = %s WHERE seq = 5", ["mallory"])
    report = verify_ledger()
    assert ("entry", "entry 5") in problems(report, "entry")
    # The checkpoint covering entry 5 no longer matches either.
    assert problems(report, "checkpoint")


def test_a_deleted_entry_is_named(history):
    behind_the_ledger("DELETE FROM ledger_entry WHERE seq = 4")
    report = verify_ledger()
    refs = problems(report, "entry")
    assert ("entry", "entry 5") in refs  # the gap and the broken link show at the next entry
    assert any("序号不连续" in p.message for p in report.problems)


def test_an_inserted_forged_entry_is_caught(history):
    """A forged entry with a well-formed chain hash, claiming a change to the case that
    never happened: the object it describes does not match."""
    case, _ = history
    head = Entry.objects.order_by("-seq").first()
    values = {
        "seq": head.seq + 1, "time": head.time, "actor": "mallory", "action": "case.update",
        "object_type": "cases.case", "object_id": str(case.pk), "object_hash": "f" * 64,
        "scope": case.scope, "reason": "伪造的审批", "prev_hash": head.entry_hash,
    }
    Entry.objects.create(entry_hash=sha256_hex(entry_bytes(values)), **values)
    report = verify_ledger()
    assert ("object", f"cases.case:{case.pk}") in problems(report, "object")


def test_an_entry_inserted_into_the_middle_is_caught(history):
    """Shifting later entries up to make room rewrites signed history."""
    behind_the_ledger("UPDATE ledger_entry SET seq = seq + 1000 WHERE seq >= 3")
    report = verify_ledger()
    assert any("序号不连续" in p.message for p in report.problems)
    assert problems(report, "checkpoint")


def test_reordered_entries_are_caught(history):
    for sql in ("UPDATE ledger_entry SET seq = -2 WHERE seq = 2",
                "UPDATE ledger_entry SET seq = 2 WHERE seq = 3",
                "UPDATE ledger_entry SET seq = 3 WHERE seq = -2"):
        behind_the_ledger(sql)
    report = verify_ledger()
    assert {("entry", "entry 2"), ("entry", "entry 3")} <= set(problems(report, "entry"))


def test_a_truncated_and_rebuilt_chain_is_caught_by_the_earlier_checkpoint(history):
    """An attacker drops the tail and re-appends a perfectly chained forgery;
    only the signed checkpoint can tell, and it does."""
    _, checkpoint = history
    keep = checkpoint.tree_size - 2
    behind_the_ledger("DELETE FROM ledger_entry WHERE seq > %s", [keep])
    prev = Entry.objects.get(seq=keep).entry_hash
    for seq in range(keep + 1, keep + 12):
        values = {
            "seq": seq, "time": Entry.objects.get(seq=keep).time, "actor": "mallory", "action": "note",
            "object_type": "", "object_id": "", "object_hash": "", "scope": "", "reason": "重建",
            "prev_hash": prev,
        }
        prev = sha256_hex(entry_bytes(values))
        Entry.objects.create(entry_hash=prev, **values)
    report = verify_ledger()
    assert not problems(report, "entry")  # the chain itself is consistent
    assert problems(report, "checkpoint") == [("checkpoint", f"checkpoint {checkpoint.id} (size {checkpoint.tree_size})")]


def test_a_truncated_ledger_shorter_than_a_checkpoint_is_caught(history):
    _, checkpoint = history
    behind_the_ledger("DELETE FROM ledger_entry WHERE seq > 3")
    report = verify_ledger()
    assert any("截断" in p.message for p in report.problems)


def test_an_object_edited_behind_the_ledgers_back_is_named(history):
    case, _ = history
    Case.objects.filter(pk=case.pk).update(title="被篡改的案由")
    report = verify_ledger()
    assert problems(report) == [("object", f"cases.case:{case.pk}")]


def test_an_object_deleted_behind_the_ledgers_back_is_named(org):
    token_create(actor=None, username=org.head.username)
    record = ApiToken.objects.get()
    ApiToken.objects.all().delete()
    assert problems(verify_ledger()) == [("object", f"org.apitoken:{record.pk}")]


def test_an_object_created_without_the_ledger_is_named(org):
    sneaky = Department.objects.create(agency=org.agency, name="影子科室", kind="section")
    assert problems(verify_ledger()) == [("object", f"org.department:{sneaky.pk}")]


def test_a_forged_checkpoint_signature_is_caught(history):
    _, checkpoint = history
    behind_the_ledger(
        "UPDATE ledger_checkpoint SET signature = %s WHERE id = %s",
        ["A" * 86 + "==", checkpoint.id], tables=("ledger_checkpoint",),
    )
    report = verify_ledger()
    assert any("签名无效" in p.message for p in report.problems)


def test_the_first_entry_links_to_the_genesis_hash(history):
    assert Entry.objects.get(seq=1).prev_hash == GENESIS_HASH


def test_an_entry_hash_of_the_wrong_length_is_named_not_misread(history):
    """The database hands a chunk's hashes over joined together; one of another length
    (only tampering writes it) must not shift its neighbours' hashes onto the wrong entries."""
    behind_the_ledger("UPDATE ledger_entry SET entry_hash = %s WHERE seq = 3", ["abc"])
    assert sorted(problems(verify_ledger(), "entry")) == [("entry", "entry 3"), ("entry", "entry 4")]


def test_verify_reads_the_ledger_in_chunks_with_checkpoints_inside_and_on_their_edges(history, monkeypatch):
    """Chunks of 4 entries: whole chunks go into the Merkle tree as subtrees; checkpoints
    taken at sizes inside a chunk, on its edge and at the end are all recomputed."""
    from django.db import transaction

    from lawtrail.ledger import selectors
    from lawtrail.ledger.services import ledger_append

    monkeypatch.setattr(selectors, "CHUNK", 4)
    for reason in ("一", "二", "三", "四", "五"):
        with transaction.atomic():
            ledger_append(actor=None, action="note", reason=reason)
        ledger_checkpoint()
    sizes = sorted(set(Checkpoint.objects.values_list("tree_size", flat=True)))
    assert any(size % 4 for size in sizes) and any(size % 4 == 0 for size in sizes)
    report = verify_ledger()
    assert report.ok, report.problems
    assert report.entries == Entry.objects.count() and report.checkpoints == len(sizes)

    behind_the_ledger("UPDATE ledger_entry SET reason = %s WHERE seq = %s", ["伪造", sizes[-2]])
    report = verify_ledger()
    assert problems(report, "entry") == [("entry", f"entry {sizes[-2]}")]
    # Every checkpoint that covers the forged entry fails, none before it.
    failed = {p.ref for p in report.problems if p.kind == "checkpoint"}
    assert failed == {f"checkpoint {cp.id} (size {cp.tree_size})"
                      for cp in Checkpoint.objects.filter(tree_size__gte=sizes[-2])}


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_other_threads_read_the_chunks_and_find_what_the_inline_run_finds(monkeypatch):
    """As `lawtrail verify` runs it: the chunks are read by a thread of their own (and each
    object's last entry by another) while this one hashes; what it finds is the same."""
    import threading

    from django.db import transaction

    from lawtrail.archive import integrity
    from lawtrail.ledger import selectors
    from lawtrail.ledger.services import ledger_append
    from lawtrail.testing import Org

    monkeypatch.setattr(selectors, "CHUNK", 4)
    org = Org("t")
    org.open_case()
    for reason in ("一", "二", "三"):
        with transaction.atomic():
            ledger_append(actor=None, action="note", reason=reason)
        ledger_checkpoint()
    readers_at = set()
    real_read, real_last = selectors._read_chunks, integrity._last_entries

    def read(*args):
        readers_at.add(threading.current_thread())  # (an ident may be reused)
        yield from real_read(*args)

    def last(*args):
        readers_at.add(threading.current_thread())  # (an ident may be reused)
        return real_last(*args)

    monkeypatch.setattr(selectors, "_read_chunks", read)
    monkeypatch.setattr(integrity, "_last_entries", last)
    report = verify_ledger()
    assert report.ok, report.problems
    assert report.entries == Entry.objects.count() > 3 * 4
    assert len(readers_at) == 2 and threading.current_thread() not in readers_at

    behind_the_ledger("UPDATE ledger_entry SET reason = %s WHERE seq = 6", ["伪造"])
    behind_the_ledger("UPDATE cases_case SET summary = %s", ["改写"])
    threaded = verify_ledger()
    with transaction.atomic():  # inside a transaction everything is read here, in order
        inline = verify_ledger()
    assert [p.as_dict() for p in threaded.problems] == [p.as_dict() for p in inline.problems]
    assert ("entry", "entry 6") in problems(threaded) and problems(threaded, "object")


def test_bytes_the_database_assembles_differently_are_encoded_again_not_reported(history, monkeypatch):
    """Should a database quote some text unlike Python, verify must not cry tampering."""
    from lawtrail.ledger import selectors

    rows = "FROM (SELECT * FROM ledger_entry WHERE seq > %s AND seq <= %s ORDER BY seq LIMIT %s) AS chunk"
    sql = ("SELECT group_concat(seq, ','), group_concat(prev_hash, ''), group_concat(entry_hash, ''), "
           f"CAST(group_concat(reason, char(10)) AS BLOB) {rows}") if connection.vendor == "sqlite" else (
        "SELECT string_agg(seq::text, ',' ORDER BY seq), string_agg(prev_hash, '' ORDER BY seq), "
        f"string_agg(entry_hash, '' ORDER BY seq), convert_to(string_agg(reason, E'\\n' ORDER BY seq), 'UTF8') {rows}")
    monkeypatch.setattr(selectors, "_chunk_sql", lambda vendor: sql)
    report = verify_ledger()
    assert report.ok, report.problems
    behind_the_ledger("UPDATE ledger_entry SET actor = %s WHERE seq = 4", ["mallory"])
    assert problems(verify_ledger(), "entry") == [("entry", "entry 4")]


@pytest.mark.django_db(transaction=True)
def test_writes_while_verify_runs_are_not_reported_as_tampering(monkeypatch):
    """Someone opens a case and advances another after verify has read the entries, before
    it reads the objects. On PostgreSQL the snapshot does not see them; on SQLite, which has
    none, the new case would look like an object without entries and the changed one like an
    object edited behind the ledger's back, but the entries written meanwhile account for
    both. Tampering meanwhile is still named."""
    import threading

    from django.db import connections

    from lawtrail.archive import integrity
    from lawtrail.testing import Org

    org = Org("v")
    first = org.open_case()
    real = integrity._check_objects

    def verify_while(write):
        """verify_ledger, with `write` done on another connection after the entries are read
        (the chain's, and each object's last, which a reader thread finds meanwhile: the test
        database's shared cache would refuse a write to a table another connection is still
        reading, where a real database lets the writer wait), before the objects are."""
        def meanwhile(*args, **kwargs):
            def on_its_own_connection():
                try:
                    write()
                finally:
                    connections.close_all()

            writer = threading.Thread(target=on_its_own_connection)
            writer.start()
            writer.join()
            return real(*args, **kwargs)

        monkeypatch.setattr(integrity, "_check_objects", meanwhile)
        try:
            return verify_ledger()
        finally:
            monkeypatch.undo()

    def open_and_advance():
        org.open_case()
        org.step(Case.objects.get(pk=first.pk), "approve_start", "同意立案")

    report = verify_while(open_and_advance)
    assert report.ok, report.problems
    assert Case.objects.filter(agency=org.agency).count() == 2  # the writes did happen, and commit
    assert Case.objects.get(pk=first.pk).stage == "investigation"

    report = verify_while(lambda: Case.objects.filter(pk=first.pk).update(title="被篡改的案由"))
    named = problems(report, "object")  # PostgreSQL's snapshot leaves it to the next run
    assert named == ([] if connection.vendor == "postgresql" else [("object", f"cases.case:{first.pk}")])
    assert problems(verify_ledger(), "object") == [("object", f"cases.case:{first.pk}")]
