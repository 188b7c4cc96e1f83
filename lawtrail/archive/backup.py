"""`lawtrail backup` and `lawtrail restore`: the database, the keys and every stored file.

A backup directory holds `database.jsonl` (one object per line in Django's portable
serialisation, with times to the microsecond, since the ledger hashes them; a backup
taken on PostgreSQL restores onto SQLite and back), the ledger signing key, and the
blobs under their SHA-256 (each re-hashed on the way out, so a backup never carries a
damaged file silently). `backup.json` names what is inside, with the latest signed
checkpoint; `restore` refuses a database that already holds a ledger, loads everything,
re-hashes every blob on the way in and runs the full verification, so a restored
instance proves itself with the same checkpoints.

The backup contains the private signing key: keep it as safely as the server itself.
"""

import datetime
import decimal
import hashlib
import json
import os
import shutil
import uuid
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core import serializers
from django.core.management.color import no_style
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

import lawtrail
from lawtrail.blobs import blob_store
from lawtrail.blobs.direct import hash_file
from lawtrail.core.db import snapshot
from lawtrail.core.errors import Conflict, InvalidInput
from lawtrail.core.files import private_dir
from lawtrail.archive.integrity import verify_ledger
from lawtrail.ledger import registry
from lawtrail.ledger.chain import ledger_flush
from lawtrail.ledger.models import Entry
from lawtrail.ledger.selectors import latest_checkpoint

FORMAT = "LawTrail 备份 1"
# Derived or transient state that a restored instance rebuilds by itself.
EXCLUDED_APPS = {"contenttypes", "sessions", "axes", "django_tasks_database"}
EXCLUDED_MODELS = {"auth.permission"}
BATCH = 2000


def _models():
    models = [m for config in apps.get_app_configs() if config.label not in EXCLUDED_APPS
              for m in config.get_models() if m._meta.label_lower not in EXCLUDED_MODELS and not m._meta.proxy]
    return serializers.sort_dependencies([(None, models)])


def _encode(value):
    # Django's own JSON encoder rounds times to milliseconds; the ledger hashes microseconds.
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return str(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")


def dump_database(path):
    with open(path, "w", encoding="utf-8") as out:
        for model in _models():
            queryset = model._default_manager.order_by("pk")
            for start in range(0, queryset.count(), BATCH):
                for obj in serializers.serialize("python", queryset[start:start + BATCH]):
                    out.write(json.dumps(obj, default=_encode, ensure_ascii=False) + "\n")


def load_database(path):
    touched = set()
    with open(path, encoding="utf-8") as f, connection.constraint_checks_disabled():
        batch = []
        for line in f:
            batch.append(json.loads(line))
            if len(batch) >= BATCH:
                touched |= _load(batch)
                batch = []
        touched |= _load(batch)
    connection.check_constraints()
    statements = connection.ops.sequence_reset_sql(no_style(), list(touched))
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def _load(objects):
    models = set()
    for deserialized in serializers.deserialize("python", objects):
        deserialized.save()
        models.add(type(deserialized.object))
    return models


def referenced_blobs():
    """Every stored file a ledgered object names, except those disposed of."""
    from lawtrail.archive.models import DecisionStatus, DisposalRequest

    disposed = set(DisposalRequest.objects.filter(status=DecisionStatus.APPROVED).values_list("sha256", flat=True))
    hashes = set()
    for model in registry.ledgered_models().values():
        for name in model.ledger_blobs:
            hashes.update(h for h in model._default_manager.values_list(name, flat=True) if h)
    return sorted(hashes - disposed)


def _file_sha256(path):
    digest = hashlib.sha256()
    hash_file(path, digest.update)
    return digest.hexdigest()


def backup(out_dir, progress=None):
    """Write a complete backup to `out_dir` (new or empty); returns its description."""
    from lawtrail.archive.package import _prepare, copy_blob

    out_dir, work = _prepare(out_dir)
    try:
        ledger_flush()
        with snapshot(required=True):  # one consistent copy of the database
            checkpoint = latest_checkpoint()
            dump_database(work / "database.jsonl")
            blobs = referenced_blobs()
            entries = Entry.objects.count()
        keys_dir = work / "keys"
        shutil.copytree(settings.LAWTRAIL_KEY_DIR, keys_dir)
        secret = Path(settings.LAWTRAIL_HOME) / "secret_key"
        if secret.exists():
            shutil.copy2(secret, work / "secret_key")
        store, total = blob_store(), 0
        for sha256 in blobs:
            target = work / "blobs" / sha256[:2] / sha256[2:4] / sha256
            target.parent.mkdir(parents=True, exist_ok=True)
            _, size = copy_blob(store, sha256, target)
            total += size
            if progress:
                progress(size)
        description = {
            "format": FORMAT,
            "lawtrail": lawtrail.__version__,
            "created_at": timezone.now().isoformat(),
            "database_vendor": connection.vendor,
            "database_sha256": _file_sha256(work / "database.jsonl"),
            "ledger_entries": entries,
            "checkpoint": {"tree_size": checkpoint.tree_size, "root_hash": checkpoint.root_hash}
            if checkpoint else None,
            "blobs": len(blobs),
            "blob_bytes": total,
        }
        (work / "backup.json").write_text(json.dumps(description, ensure_ascii=False, indent=1), encoding="utf-8")
        os.rename(work, out_dir)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return description


def restore(backup_dir, progress=None):
    """Load a backup into this (empty) instance and verify it; returns (description, report)."""
    backup_dir = Path(backup_dir)
    try:
        description = json.loads((backup_dir / "backup.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise InvalidInput(f"{backup_dir} 不是 LawTrail 备份目录（缺少或无法读取 backup.json）")
    if description.get("format") != FORMAT:
        raise InvalidInput(f"不支持的备份格式：{description.get('format')}")
    if _file_sha256(backup_dir / "database.jsonl") != description["database_sha256"]:
        raise Conflict("备份中的数据库文件与其校验值不符（备份已损坏或被修改），已停止恢复")
    call_command("migrate", verbosity=0)
    if Entry.objects.exists():
        raise Conflict("当前数据库已有账本数据，只能恢复到全新的实例（新的 LAWTRAIL_HOME 和空数据库）")
    _restore_keys(backup_dir)
    store = blob_store()
    blobs_dir = backup_dir / "blobs"
    for path in sorted(blobs_dir.rglob("*")) if blobs_dir.exists() else []:
        if not path.is_file():
            continue
        with open(path, "rb") as f:
            sha256, size, _ = store.put(f)
        if sha256 != path.name:
            raise Conflict(f"备份中的文件 {path.name} 内容与其 SHA-256 不符（备份已损坏），已停止恢复")
        if progress:
            progress(size)
    with transaction.atomic():
        load_database(backup_dir / "database.jsonl")
    return description, verify_ledger()


def _restore_keys(backup_dir):
    key_dir = private_dir(settings.LAWTRAIL_KEY_DIR)
    for source in (backup_dir / "keys").iterdir():
        target = key_dir / source.name
        if target.exists() and target.read_bytes() != source.read_bytes():
            raise Conflict(f"{target} 已存在且与备份中的密钥不同；请恢复到全新的 LAWTRAIL_HOME")
        shutil.copy2(source, target)
        target.chmod(0o600)
    secret = backup_dir / "secret_key"
    if secret.exists() and not os.environ.get("SECRET_KEY"):
        target = Path(settings.LAWTRAIL_HOME) / "secret_key"
        shutil.copy2(secret, target)
        target.chmod(0o600)

