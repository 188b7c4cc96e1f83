"""Backup and restore: a restored instance on a fresh LAWTRAIL_HOME verifies clean with
the same checkpoints; damaged backups and non-empty targets are refused."""

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from lawtrail.archive.backup import backup
from lawtrail.ledger.services import ledger_checkpoint


def lawtrail(home, *args):
    env = {**os.environ, "LAWTRAIL_HOME": str(home), "DATABASE_URL": f"sqlite:///{home}/restored.sqlite3",
           "DJANGO_SETTINGS_MODULE": "lawtrail.settings"}
    env.pop("LAWTRAIL_STORAGE", None)
    env.pop("SECRET_KEY", None)
    return subprocess.run([sys.executable, "-m", "lawtrail.cli", *args], env=env, capture_output=True, text=True)


@pytest.fixture
def backup_dir(full_case, tmp_path):
    checkpoint = ledger_checkpoint()
    description = backup(tmp_path / "backup")
    assert description["checkpoint"]["root_hash"] == checkpoint.root_hash
    assert description["blobs"] > 5
    return tmp_path / "backup"


def test_a_backup_restores_onto_a_fresh_home_and_verifies_with_the_same_checkpoint(backup_dir, full_case, tmp_path):
    home = tmp_path / "fresh"
    result = lawtrail(home, "restore", str(backup_dir), "--quiet")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "恢复后校验通过" in result.stdout
    # The same tree as the backup's checkpoint (before verify, which records its run as an entry).
    result = lawtrail(home, "ledger", "checkpoint", "--json")
    restored = json.loads(result.stdout)
    original = json.loads((backup_dir / "backup.json").read_text())["checkpoint"]
    assert restored["tree_size"] == original["tree_size"]
    assert bytes.fromhex(original["root_hash"]) == base64.b64decode(restored["root_hash"])
    result = lawtrail(home, "verify", "--json")
    report = json.loads(result.stdout)
    assert report["ok"] and report["blobs"] > 5 and report["recorded"]
    result = lawtrail(home, "cases", "--json")
    assert full_case.case_no in {c["case_no"] for c in json.loads(result.stdout)}
    # The restored instance exports a package that verifies offline.
    result = lawtrail(home, "export", full_case.case_no, "--out", str(tmp_path / "bag"))
    assert result.returncode == 0, result.stderr
    assert subprocess.run([sys.executable, str(tmp_path / "bag" / "verify.py")]).returncode == 0


def test_restore_refuses_an_instance_that_already_has_a_ledger(backup_dir, tmp_path):
    home = tmp_path / "fresh"
    assert lawtrail(home, "restore", str(backup_dir), "--quiet").returncode == 0
    result = lawtrail(home, "restore", str(backup_dir), "--quiet")
    assert result.returncode != 0 and "全新的实例" in result.stderr


def test_a_damaged_backup_is_refused(backup_dir, tmp_path):
    blob = next(p for p in (backup_dir / "blobs").rglob("*") if p.is_file())
    data = bytearray(blob.read_bytes())
    data[-1] ^= 1
    blob.write_bytes(bytes(data))
    result = lawtrail(tmp_path / "fresh", "restore", str(backup_dir), "--quiet")
    assert result.returncode != 0 and "已损坏" in result.stderr
    database = backup_dir / "database.jsonl"
    database.write_text(database.read_text(encoding="utf-8").replace("涉嫌", "不涉嫌", 1), encoding="utf-8")
    result = lawtrail(tmp_path / "other", "restore", str(backup_dir), "--quiet")
    assert result.returncode != 0 and "数据库文件与其校验值不符" in result.stderr


def test_the_backup_refuses_a_directory_in_use(full_case, tmp_path):
    from lawtrail.core.errors import InvalidInput

    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "x").write_text("x")
    with pytest.raises(InvalidInput, match="不为空"):
        backup(tmp_path / "used")
    assert not any(Path(tmp_path).glob(".used.partial*"))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the snapshot isolation is PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_a_postgresql_backup_outside_any_transaction_reads_one_snapshot(tmp_path):
    """As `lawtrail backup` runs it: its own REPEATABLE READ transaction, every table as of
    one moment (under READ COMMITTED each query would see its own)."""
    from lawtrail.ledger.models import Entry
    from lawtrail.testing import Org

    Org("s").open_case()
    assert not connection.in_atomic_block
    description = backup(tmp_path / "backup")
    assert description["ledger_entries"] == Entry.objects.count() > 0
