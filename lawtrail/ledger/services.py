"""The only writers of the ledger: append an entry, sign a checkpoint."""

import base64
import json
import logging

from django.conf import settings
from django.db import connection, transaction
from django.dispatch import Signal
from django.utils import timezone

from lawtrail.core.canonical import canonical_bytes, jsonable, sha256_hex
from lawtrail.core.errors import Conflict
from lawtrail.ledger import keys, merkle, registry
from lawtrail.ledger.models import Checkpoint, Entry

GENESIS_HASH = "0" * 64
ENTRY_FIELDS = (
    "seq", "time", "actor", "action", "object_type", "object_id",
    "object_hash", "scope", "reason", "prev_hash",
)
# Any constant: the advisory lock that serialises appends on PostgreSQL.
_APPEND_LOCK = 0x4C617754


_ENCODE = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode

logger = logging.getLogger(__name__)


def entry_bytes(values) -> bytes:
    """The canonical form of an entry that both the chain and the Merkle tree hash.

    Every field is a string or an integer except the time, so only the time needs
    `jsonable`; the result is byte-identical to `canonical_bytes` of the same entry (which
    any other value type falls back to), and `lawtrail verify` runs it once per entry."""
    data = {name: values[name] for name in ENTRY_FIELDS}
    data["v"] = 1
    data["time"] = jsonable(data["time"])
    if not all(type(value) in (str, int) for value in data.values()):
        return canonical_bytes(data)
    return _ENCODE(data).encode("utf-8")


def actor_name(actor):
    return actor.get_username() if actor is not None else "system"


def lock_chain():
    """Serialise writers of the chain until the current transaction ends."""
    # SQLite runs every transaction IMMEDIATE (settings), which already holds the
    # one write lock; PostgreSQL needs an explicit lock so that two writers never
    # read the same head and fork the chain.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_APPEND_LOCK])


# Sent inside the writing transaction after each entry: other parts react to changes
# (the compliance rules re-evaluate the case once the transaction commits).
entry_appended = Signal()


def after_commit_for_case(entry, task, what):
    """Queue `task` (a background job taking a list of case ids) for the case of a
    case-scoped entry once the transaction commits: one job for every case changed
    meanwhile (the first callback takes them all, the others find nothing left; a
    transaction that rolls back leaves its cases to the next commit). `what` names the
    job in the log when the queue is down, which must not turn a committed write into an
    error page."""
    if not entry.scope.startswith("case:"):
        return
    pending = connection.__dict__.setdefault(f"_lawtrail_pending_{task.name}", set())
    pending.add(int(entry.scope.split(":", 1)[1]))

    def flush():
        if pending:
            case_ids = sorted(pending)
            pending.clear()
            try:
                task.enqueue(case_ids)
            except Exception:
                logger.exception("could not queue %s of cases %s", what, case_ids)

    transaction.on_commit(flush)


def ledger_append(*, actor, action, obj=None, object_type="", object_id="", object_hash="",
                  scope="", reason="") -> Entry:
    """Append one entry. Must run inside the writing service's transaction, so the
    entry and the write it records commit or vanish together."""
    # The test suite's own wrapping transaction does not count: a service that forgot
    # @transaction.atomic must fail in the tests as it would in production.
    if not any(not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks):
        raise RuntimeError("ledger_append must be called inside the service's transaction")
    if obj is not None:
        object_type = registry.object_type(obj)
        object_id = str(obj.pk)
        object_hash = registry.object_hash(obj)
    lock_chain()
    head = Entry.objects.order_by("-seq").values_list("seq", "entry_hash").first()
    seq, prev_hash = (head[0] + 1, head[1]) if head else (1, GENESIS_HASH)
    values = {
        "seq": seq,
        "time": timezone.now(),
        "actor": actor_name(actor),
        "action": action,
        "object_type": object_type,
        "object_id": str(object_id),
        "object_hash": object_hash,
        "scope": scope,
        "reason": reason or "",
        "prev_hash": prev_hash,
    }
    values["entry_hash"] = sha256_hex(entry_bytes(values))
    entry = Entry.objects.create(actor_id=getattr(actor, "pk", None), **values)
    entry_appended.send(sender=Entry, entry=entry)
    return entry


def checkpoint_note(tree_size, root_hex) -> bytes:
    """The signed body, in the C2SP checkpoint layout: origin, size, base64 root."""
    root_b64 = base64.b64encode(bytes.fromhex(root_hex)).decode("ascii")
    return f"{settings.LAWTRAIL_LEDGER_ORIGIN}\n{tree_size}\n{root_b64}\n".encode()


@transaction.atomic
def ledger_checkpoint() -> Checkpoint:
    """Sign the current tree head; returns the existing checkpoint when nothing changed."""
    from lawtrail.ledger.selectors import leaf_hashes

    lock_chain()
    size = Entry.objects.count()
    if size == 0:
        raise Conflict("账本为空，无法签发检查点。")
    latest = Checkpoint.objects.order_by("-id").first()
    if latest is not None and latest.tree_size == size:
        return latest
    root = merkle.root_from_leaf_hashes(leaf_hashes(size)).hex()
    return Checkpoint.objects.create(
        tree_size=size,
        root_hash=root,
        signed_at=timezone.now(),
        key_id=keys.key_id(),
        signature=keys.sign(checkpoint_note(size, root)),
    )
