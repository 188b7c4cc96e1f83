"""Signed checkpoints, inclusion and consistency proofs, as a verifier outside would use them."""

import base64
import json
import threading

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.conf import settings
from django.db import connection, transaction

from lawtrail.cli import main
from lawtrail.core.errors import Conflict, InvalidInput
from lawtrail.archive.integrity import verify_ledger
from lawtrail.ledger import merkle, selectors
from lawtrail.ledger.formats import GENESIS_HASH
from lawtrail.ledger.models import Entry
from lawtrail.ledger.services import ledger_append, ledger_checkpoint


def b64(text):
    return base64.b64decode(text)


def test_the_key_is_generated_into_lawtrail_home(db):
    from lawtrail.ledger import keys

    keys.public_key_bytes()
    path = settings.LAWTRAIL_KEY_DIR / keys.PRIVATE_NAME
    assert path.exists() and path.is_relative_to(settings.LAWTRAIL_HOME)
    assert path.stat().st_mode & 0o077 == 0


def test_an_empty_ledger_has_no_checkpoint(db):
    with pytest.raises(Conflict):
        ledger_checkpoint()


def test_a_checkpoint_is_signed_over_the_note_and_not_repeated(org):
    cp = ledger_checkpoint()
    assert ledger_checkpoint().pk == cp.pk
    out = selectors.checkpoint_json(cp)
    public = Ed25519PublicKey.from_public_bytes(b64(out["public_key"]))
    public.verify(b64(out["signature"]), out["note"].encode())  # raises if invalid
    origin, size, root, _ = out["note"].split("\n")
    assert int(size) == cp.tree_size == Entry.objects.count()
    assert b64(root) == bytes.fromhex(cp.root_hash) == b64(out["root_hash"])


def test_every_entry_has_an_inclusion_proof_against_the_checkpoint(org, capsys):
    cp = ledger_checkpoint()
    for seq in (1, cp.tree_size // 2, cp.tree_size):
        assert main(["ledger", "proof", str(seq), "--json"]) == 0
        proof = json.loads(capsys.readouterr().out)
        leaf = merkle.leaf_hash(b64(proof["entry_data"]))
        assert leaf == b64(proof["leaf_hash"])
        merkle.verify_inclusion(proof["leaf_index"], proof["tree_size"], leaf,
                                [b64(h) for h in proof["inclusion_path"]], b64(proof["checkpoint"]["root_hash"]))


def test_a_consistency_proof_links_two_checkpoints(org, capsys):
    old = ledger_checkpoint()
    org.open_case()
    new = ledger_checkpoint()
    assert main(["ledger", "consistency", str(old.tree_size), str(new.tree_size), "--json"]) == 0
    proof = json.loads(capsys.readouterr().out)
    merkle.verify_consistency(old.tree_size, new.tree_size, bytes.fromhex(old.root_hash),
                              bytes.fromhex(new.root_hash), [b64(h) for h in proof["consistency_path"]])
    assert {c["tree_size"] for c in proof["checkpoints"]} == {old.tree_size, new.tree_size}


def test_proofs_outside_the_tree_are_refused_with_a_message(org, capsys):
    cp = ledger_checkpoint()
    with pytest.raises(InvalidInput):
        selectors.inclusion(cp.tree_size + 5)
    assert main(["ledger", "consistency", "0", str(cp.tree_size)]) == 2
    assert "旧树须非空" in capsys.readouterr().err


@pytest.mark.django_db(transaction=True)
def test_append_outside_a_transaction_is_a_programming_error():
    with pytest.raises(RuntimeError):
        ledger_append(actor=None, action="note")


def test_the_test_suites_own_transaction_does_not_count_as_the_services(db):
    # So a service missing @transaction.atomic fails here as it would in production.
    with pytest.raises(RuntimeError, match="inside the service's transaction"):
        ledger_append(actor=None, action="note")
    with transaction.atomic():
        assert ledger_append(actor=None, action="note").seq


def test_a_failed_write_leaves_no_entry(org):
    before = Entry.objects.count()
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        ledger_append(actor=None, action="note", reason="will roll back")
        1 / 0
    assert Entry.objects.count() == before


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers are tested on PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_never_fork_or_gap_the_chain():
    writers, per_writer = 8, 25
    assert not write_concurrently(writers, per_writer)
    entries = list(Entry.objects.order_by("seq").values_list("seq", "prev_hash", "entry_hash"))
    assert [e[0] for e in entries] == list(range(1, writers * per_writer + 1))
    prev = GENESIS_HASH
    for _, prev_hash, entry_hash in entries:
        assert prev_hash == prev
        prev = entry_hash
    assert verify_ledger().ok


def write_concurrently(writers, per_writer):
    """`writers` threads, each appending `per_writer` entries in its own transactions;
    returns the errors they met."""
    errors = []

    def write(n):
        try:
            for i in range(per_writer):
                with transaction.atomic():
                    ledger_append(actor=None, action="note", object_type="test", object_id=f"{n}-{i}")
        except Exception as exc:  # noqa: BLE001 - reported by the caller
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors
