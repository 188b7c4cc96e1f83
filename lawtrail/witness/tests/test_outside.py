"""Each way the server's own holder can tamper, which `lawtrail verify` alone cannot see,
caught with a checkpoint kept outside or a witness (issue 30's probe)."""

import pytest
from django.db import transaction

from lawtrail.cli import main
from lawtrail.core.canonical import sha256_hex
from lawtrail.ledger import keys
from lawtrail.ledger.formats import entry_bytes
from lawtrail.ledger.models import Checkpoint, Cosignature, Entry, WitnessStatus
from lawtrail.ledger.services import ledger_append, ledger_checkpoint
from lawtrail.testing import behind_the_ledger
from lawtrail.witness.client import signed_note
from lawtrail.witness.tasks import checkpoint_pass
from lawtrail.witness.testing import running_witnesses


@pytest.fixture
def witnesses(tmp_path, settings, org):
    with running_witnesses(tmp_path, settings) as running:
        yield running


def write(count=3):
    for i in range(count):
        with transaction.atomic():
            ledger_append(actor=None, action="test.write", object_type="", object_id=str(i))


def kept(tmp_path, cp):
    path = tmp_path / f"checkpoint-{cp.tree_size}.txt"
    path.write_text(signed_note(cp, Cosignature.objects.filter(checkpoint=cp)))
    return str(path)


def verify(capsys, *args):
    code = main(["verify", *args])
    return code, capsys.readouterr().out


def cut_after(size):
    """Truncate the ledger to `size` entries, and its checkpoints, their cosignatures and
    the witnesses' statuses with it: a database as it was, or as made to look."""
    behind_the_ledger("DELETE FROM ledger_cosignature WHERE checkpoint_id IN "
                      "(SELECT id FROM ledger_checkpoint WHERE tree_size > %s)", [size],
                      tables=("ledger_cosignature",))
    behind_the_ledger("DELETE FROM ledger_checkpoint WHERE tree_size > %s", [size], tables=("ledger_checkpoint",))
    behind_the_ledger("DELETE FROM ledger_entry WHERE seq > %s", [size])
    WitnessStatus.objects.update(size=size)


def rechain(from_seq, **changes):
    """Rewrite one entry and every hash after it, as a holder of the database can."""
    entries = list(Entry.objects.filter(seq__gte=from_seq - 1).order_by("seq").values())
    prev = entries[0]["entry_hash"] if from_seq > 1 else "0" * 64
    for values in entries[1 if from_seq > 1 else 0:]:
        if values["seq"] == from_seq:
            values.update(changes)
        values["prev_hash"] = prev
        prev = values["entry_hash"] = sha256_hex(entry_bytes(values))
        behind_the_ledger("UPDATE ledger_entry SET reason = %s, prev_hash = %s, entry_hash = %s WHERE seq = %s",
                          [values["reason"], values["prev_hash"], values["entry_hash"], values["seq"]])


def resign_all():
    """Every checkpoint signed again over the tree as it now is, with the current key."""
    from lawtrail.ledger import merkle
    from lawtrail.ledger.formats import checkpoint_note
    from lawtrail.ledger.selectors import leaf_hashes

    behind_the_ledger("DELETE FROM ledger_cosignature", tables=("ledger_cosignature",))
    sizes = sorted(set(Checkpoint.objects.values_list("tree_size", flat=True)))
    behind_the_ledger("DELETE FROM ledger_checkpoint", tables=("ledger_checkpoint",))
    from django.utils import timezone

    for size in sizes:
        root = merkle.root_from_leaf_hashes(leaf_hashes(size)).hex()
        Checkpoint.objects.create(tree_size=size, root_hash=root, signed_at=timezone.now(), key_id=keys.key_id(),
                                  signature=keys.sign(checkpoint_note(size, root)))


def test_an_intact_ledger_extends_its_kept_checkpoint_and_its_witnesses(witnesses, tmp_path, capsys):
    cp = ledger_checkpoint()
    checkpoint_pass()
    path = kept(tmp_path, cp)
    write()
    code, out = verify(capsys, "--checkpoint", path, *sum((["--witness", w.url] for w in witnesses), []))
    assert code == 0, out


def test_truncation_after_the_last_checkpoint_is_caught_by_a_witness(witnesses, capsys):
    checkpoint_pass()
    write()
    cp = ledger_checkpoint()
    checkpoint_pass()  # the witnesses saw the entries after the first checkpoint
    cut_after(cp.tree_size - 3)
    code, out = verify(capsys, "--witness", witnesses[0].url)
    assert code == 1 and "回滚" in out


def test_deleting_checkpoints_above_a_cut_and_truncating_is_caught(witnesses, tmp_path, capsys):
    first = ledger_checkpoint()
    write()
    second = ledger_checkpoint()
    path = kept(tmp_path, second)
    checkpoint_pass()
    cut_after(first.tree_size)
    code, out = verify(capsys, "--checkpoint", path)
    assert code == 1 and "截断或回滚" in out
    code, out = verify(capsys, "--witness", witnesses[1].url)
    assert code == 1 and "回滚" in out


def test_a_rewrite_rechained_and_resigned_with_the_server_key_is_caught(witnesses, tmp_path, capsys):
    cp = ledger_checkpoint()
    checkpoint_pass()
    path = kept(tmp_path, cp)
    rechain(2, reason="改写后的理由")
    resign_all()
    code, out = verify(capsys, "--checkpoint", path)
    assert code == 1 and "改写" in out
    code, out = verify(capsys, "--witness", witnesses[0].url)
    assert code == 1 and "不一致" in out


def test_a_replaced_key_that_re_signed_everything_is_caught(witnesses, tmp_path, capsys, settings):
    cp = ledger_checkpoint()
    checkpoint_pass()
    path = kept(tmp_path, cp)
    settings.LAWTRAIL_KEY_DIR = tmp_path / "new-keys"
    rechain(2, reason="换钥后改写")
    resign_all()
    code, out = verify(capsys, "--checkpoint", path)
    assert code == 1 and "密钥被更换" in out and "改写" in out
    code, out = verify(capsys, "--witness", witnesses[0].url)
    assert code == 1 and "密钥" in out


def test_a_deleted_checkpoint_row_is_caught_by_the_kept_checkpoint(tmp_path, capsys, org):
    cp = ledger_checkpoint()
    path = kept(tmp_path, cp)
    write()
    ledger_checkpoint()
    behind_the_ledger("DELETE FROM ledger_checkpoint WHERE id = %s", [cp.id], tables=("ledger_checkpoint",))
    code, out = verify(capsys, "--checkpoint", path)
    assert code == 1 and "检查点被删除" in out


def test_a_database_rolled_back_to_an_earlier_copy_is_caught(witnesses, tmp_path, capsys):
    early = ledger_checkpoint()
    checkpoint_pass()
    write(5)
    late = ledger_checkpoint()
    checkpoint_pass()
    path = kept(tmp_path, late)
    cut_after(early.tree_size)  # the copy, smaller than what the witnesses saw
    code, out = verify(capsys, "--checkpoint", path, "--witness", witnesses[0].url)
    assert code == 1 and "截断或回滚" in out and "回滚" in out


def test_a_kept_checkpoint_without_the_named_witness_cosignature_is_named(witnesses, tmp_path, capsys):
    cp = ledger_checkpoint()
    path = kept(tmp_path, cp)  # before any witness cosigned it
    code, out = verify(capsys, "--checkpoint", path, "--witness", witnesses[0].witness.verifier.text())
    assert code == 1 and "联署签名" in out


def test_a_tampered_cosignature_is_named(witnesses, capsys):
    ledger_checkpoint()
    checkpoint_pass()
    behind_the_ledger("UPDATE ledger_cosignature SET signed_at = signed_at, line = replace(line, 'A', 'B')",
                      tables=("ledger_cosignature",))
    code, out = verify(capsys)
    assert code == 1 and "联署签名无效" in out


def test_the_server_refuses_to_start_on_a_ledger_behind_its_cosigned_checkpoint(witnesses):
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError

    write()
    cp = ledger_checkpoint()
    checkpoint_pass()
    call_command("check", databases=["default"])
    behind_the_ledger("DELETE FROM ledger_entry WHERE seq >= %s", [cp.tree_size])
    with pytest.raises(SystemCheckError, match="拒绝启动"):
        call_command("check", databases=["default"])
