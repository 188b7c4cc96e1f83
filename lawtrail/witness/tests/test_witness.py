"""Two witnesses, real HTTP servers: they cosign, refuse smaller trees and forks, and a
silent one is shown and tried again."""

import base64
import urllib.request

import pytest

from lawtrail.ledger.cosignatures import witness_statuses
from lawtrail.ledger.models import Cosignature
from lawtrail.ledger.services import ledger_append, ledger_checkpoint
from lawtrail.witness import note
from lawtrail.witness.client import configured_witnesses, signed_note, submit
from lawtrail.witness.tasks import checkpoint_due, checkpoint_pass
from lawtrail.witness.testing import running_witnesses


@pytest.fixture
def witnesses(tmp_path, settings, org):
    with running_witnesses(tmp_path, settings) as running:
        yield running


def more_entries(org, count=3):
    from django.db import transaction

    for i in range(count):
        with transaction.atomic():
            ledger_append(actor=None, action="test.write", object_type="test", object_id=str(i))


def post(url, body):
    request = urllib.request.Request(f"{url}/add-checkpoint", data=body, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.headers["Content-Type"], response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers["Content-Type"], exc.read().decode()


def test_it_cosigns_at_both_witnesses_and_each_cosignature_verifies(witnesses):
    cp = ledger_checkpoint()
    result = checkpoint_pass()
    assert sorted(result.cosigned) == sorted(w.url for w in witnesses) and not result.silent
    parsed = note.parse_checkpoint(signed_note(cp, Cosignature.objects.filter(checkpoint=cp)))
    for w in witnesses:
        assert any(note.cosignature_time(s, w.witness.verifier, parsed.body) for s in parsed.signatures)
    assert {s.size for s in witness_statuses()} == {cp.tree_size}


def test_a_later_checkpoint_goes_with_a_consistency_proof(witnesses, org):
    checkpoint_pass()
    more_entries(org)
    cp = ledger_checkpoint()
    checkpoint_pass()
    assert Cosignature.objects.filter(checkpoint=cp).count() == 2
    assert all(w.witness.state()["lawtrail.local/ledger"]["size"] == cp.tree_size for w in witnesses)


def test_a_silent_witness_is_shown_and_tried_again(witnesses, org):
    down = witnesses[1]
    down.stop()
    cp = ledger_checkpoint()
    result = checkpoint_pass()
    assert result.cosigned == [witnesses[0].url] and result.silent == [down.url]
    status = next(s for s in witness_statuses() if s.url == down.url)
    assert status.failures == 1 and "无法连接" in status.last_error
    checkpoint_pass()
    status.refresh_from_db()
    assert status.failures == 2
    down.start()
    result = checkpoint_pass()
    assert result.cosigned == [down.url]
    status.refresh_from_db()
    assert status.failures == 0 and status.last_error == "" and status.size == cp.tree_size


def test_it_refuses_a_smaller_tree_with_its_size(witnesses, org):
    small = ledger_checkpoint()
    more_entries(org)
    big = ledger_checkpoint()
    checkpoint_pass()
    code, content_type, text = post(witnesses[0].url, f"old 0\n\n{signed_note(small)}".encode())
    assert (code, content_type, text) == (409, "text/x.tlog.size", f"{big.tree_size}\n")


def test_it_refuses_a_fork(witnesses, org, settings):
    cp = ledger_checkpoint()
    checkpoint_pass()
    from lawtrail.ledger import keys

    body = note.checkpoint_body(settings.LAWTRAIL_LEDGER_ORIGIN, cp.tree_size, b"\x07" * 32)
    fork = body.decode() + "\n" + note.log_signature(settings.LAWTRAIL_LEDGER_ORIGIN, keys.public_key_bytes(),
                                                     keys.private_key().sign(body)).line()
    code, _, text = post(witnesses[0].url, f"old {cp.tree_size}\n\n{fork}".encode())
    assert code == 422 and "不一致" in text


def test_it_refuses_a_checkpoint_not_signed_by_the_log(witnesses, org, settings):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    cp = ledger_checkpoint()
    other = Ed25519PrivateKey.generate()
    body = note.checkpoint_body(settings.LAWTRAIL_LEDGER_ORIGIN, cp.tree_size, bytes.fromhex(cp.root_hash))
    forged = body.decode() + "\n" + note.log_signature(settings.LAWTRAIL_LEDGER_ORIGIN,
                                                       other.public_key().public_bytes_raw(), other.sign(body)).line()
    assert post(witnesses[0].url, f"old 0\n\n{forged}".encode())[0] == 403


def test_a_witness_that_cosigned_a_bigger_tree_is_not_sent_a_smaller_one(witnesses, org):
    more_entries(org)
    checkpoint_pass()
    status = witness_statuses()[0]
    status.size += 10
    status.save()
    cp = ledger_checkpoint()
    assert submit(cp, configured_witnesses()[0]) is None
    status.refresh_from_db()
    assert "回滚" in status.last_error


def test_a_checkpoint_is_due_after_enough_entries_or_minutes(org, settings):
    import datetime

    from django.utils import timezone

    settings.LAWTRAIL_CHECKPOINT_EVERY_ENTRIES = 3
    settings.LAWTRAIL_CHECKPOINT_EVERY_MINUTES = 10
    assert checkpoint_due()  # none yet
    cp = ledger_checkpoint()
    assert not checkpoint_due()
    more_entries(org, 1)
    assert not checkpoint_due()
    assert checkpoint_due(now=cp.signed_at + datetime.timedelta(minutes=10))
    more_entries(org, 2)
    assert checkpoint_due(timezone.now())
    assert checkpoint_pass().signed


def test_the_vkey_round_trips_and_a_wrong_one_is_refused():
    verifier = note.Verifier("witness.test/w", note.COSIGNATURE_V1, b"\x01" * 32)
    assert note.parse_vkey(verifier.text()) == verifier
    with pytest.raises(note.NoteError):
        note.parse_vkey(verifier.text().replace("+", "+0", 1))
    assert base64.b64decode(verifier.text().split("+", 2)[2])[0] == 0x04


def test_the_loop_keeps_going_after_a_failed_pass(org, monkeypatch, settings):
    from lawtrail.ledger.models import Checkpoint
    from lawtrail.witness import tasks

    settings.LAWTRAIL_CHECKPOINT_POLL_SECONDS = 0
    calls = []

    def flaky(now=None):
        calls.append(1)
        if len(calls) == 1:
            raise OSError("数据库暂时不可用")
        return checkpoint_pass(now)

    monkeypatch.setattr(tasks, "checkpoint_pass", flaky)
    monkeypatch.setattr(tasks, "close_old_connections", lambda: None)  # the test's own connection stays
    tasks.checkpoint_loop(stop=lambda: len(calls) >= 2)
    assert len(calls) == 2 and Checkpoint.objects.count() == 1
