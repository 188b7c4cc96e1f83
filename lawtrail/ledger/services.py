"""The only writers of the ledger: append an entry, sign a checkpoint.

Appending in place (SQLite, and PostgreSQL with LAWTRAIL_LEDGER_BATCH off) takes the
chain lock inside the writer's transaction: every ledger-backed write then waits for the
previous one's commit. Batched (PostgreSQL's default) the writer commits its entry as a
pending row with its change, in parallel with other writers; after the commit, whoever
gets the chain lock moves every committed pending row into the chain in one transaction.
Either way an entry exists exactly when its change committed, and the chain has no gap."""

import base64
import json
import logging
import time

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import Max
from django.dispatch import Signal
from django.utils import timezone

from lawtrail.core.canonical import canonical_bytes, jsonable, sha256_hex
from lawtrail.core.errors import Conflict
from lawtrail.ledger import keys, merkle, registry
from lawtrail.ledger.models import Checkpoint, Entry, PendingEntry

GENESIS_HASH = "0" * 64
ENTRY_FIELDS = (
    "seq", "time", "actor", "action", "object_type", "object_id",
    "object_hash", "scope", "reason", "prev_hash",
)
PENDING_FIELDS = ("time", "actor", "action", "object_type", "object_id", "object_hash", "scope", "reason")
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
    # Per thread (and so per transaction): `connection` itself is shared by all threads.
    pending = connections[DEFAULT_DB_ALIAS].__dict__.setdefault(f"_lawtrail_pending_{task.name}", set())
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
    values = {
        "time": timezone.now(),
        "actor": actor_name(actor),
        "action": action,
        "object_type": object_type,
        "object_id": str(object_id),
        "object_hash": object_hash,
        "scope": scope,
        "reason": reason or "",
    }
    actor_id = getattr(actor, "pk", None)
    if batching():
        entry = _insert_pending(actor_id, values)
        _flush_after_commit()
    else:
        lock_chain()
        entry = Entry.objects.bulk_create(_chained(_head(), [(values, actor_id)]))[0]
    entry_appended.send(sender=Entry, entry=entry)
    return entry


_PENDING_INSERT = (f"INSERT INTO {PendingEntry._meta.db_table} (actor_id, {', '.join(PENDING_FIELDS)}) "
                   f"VALUES ({', '.join(['%s'] * (len(PENDING_FIELDS) + 1))}) RETURNING id")


def _insert_pending(actor_id, values):
    """One row, straight: on the path of every write, the ORM's own work would show."""
    with connection.cursor() as cursor:
        cursor.execute(_PENDING_INSERT, [actor_id, *(values[name] for name in PENDING_FIELDS)])
        return PendingEntry(id=cursor.fetchone()[0], actor_id=actor_id, **values)


def batching():
    return settings.LAWTRAIL_LEDGER_BATCH and connection.vendor == "postgresql"


def _head():
    head = Entry.objects.order_by("-seq").values_list("seq", "entry_hash").first()
    return head or (0, GENESIS_HASH)


def _chained(head, items):
    """Entries for (values, actor_id) pairs, linked one after the other from `head`."""
    seq, prev_hash = head
    entries = []
    for values, actor_id in items:
        seq += 1
        values = {**values, "seq": seq, "prev_hash": prev_hash}
        prev_hash = values["entry_hash"] = sha256_hex(entry_bytes(values))
        entries.append(Entry(actor_id=actor_id, **values))
    return entries


FLUSH_BATCH = 5000
FLUSH_PASSES = 4


def _flush_after_commit():
    """Once per transaction: chain its entries when it commits (nothing, should it roll back)."""
    pending_callbacks = getattr(connections[DEFAULT_DB_ALIAS], "run_on_commit", [])
    if not any(callback[1] is _flush_committed for callback in pending_callbacks):
        transaction.on_commit(_flush_committed)


def _flush_committed():
    try:
        ledger_flush(wait=False)
    except Exception:  # committed and pending: the next flush chains it
        logger.exception("could not chain the pending ledger entries")


def _chain_batch(wait):
    """Move up to FLUSH_BATCH committed pending entries into the chain, in one transaction
    under the chain lock. Returns how many, or None when `wait` is off and another
    transaction holds the lock."""
    if wait or connection.vendor != "postgresql":
        with transaction.atomic():
            lock_chain()
            return _move_pending()
    if connection.in_atomic_block:  # the lock must end with the surrounding transaction
        with transaction.atomic():
            return _move_pending() if _try_lock("pg_try_advisory_xact_lock") else None
    # A writer right after its commit: when the chain is busy, one round trip and done.
    if not _try_lock("pg_try_advisory_lock"):
        return None
    try:
        with transaction.atomic():
            return _move_pending()
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [_APPEND_LOCK])


def _try_lock(function):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {function}(%s)", [_APPEND_LOCK])
        return cursor.fetchone()[0]


_PENDING_COLUMNS = ", ".join(("id", "actor_id", *PENDING_FIELDS))
# Take a batch of committed pending rows out and read the chain's head, in one round trip.
_PENDING_TAKE = (
    f"WITH moved AS (DELETE FROM {PendingEntry._meta.db_table} WHERE id IN "
    f"(SELECT id FROM {PendingEntry._meta.db_table} ORDER BY id LIMIT %s) RETURNING {_PENDING_COLUMNS}) "
    f"SELECT {_PENDING_COLUMNS}, head.seq, head.entry_hash FROM moved LEFT JOIN "
    f"(SELECT seq, entry_hash FROM {Entry._meta.db_table} ORDER BY seq DESC LIMIT 1) head ON TRUE ORDER BY id"
)


def _move_pending():
    """Under the chain lock: pending rows out, entries in, one transaction. On PostgreSQL
    it commits without waiting for the disk: the pending rows were made durable by their
    writers' own commits, and a crash could only lose this move as a whole — the rows
    are then pending again, and the next flush chains them. A checkpoint's commit waits,
    and makes every move before it durable."""
    if connection.vendor != "postgresql":
        rows = list(PendingEntry.objects.order_by("id").values_list(
            "id", "actor_id", *PENDING_FIELDS)[:FLUSH_BATCH])
        PendingEntry.objects.filter(id__in=[row[0] for row in rows]).delete()
        head = _head()
    else:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")
            cursor.execute(_PENDING_TAKE, [FLUSH_BATCH])
            rows = cursor.fetchall()
        head = (rows[0][-2], rows[0][-1]) if rows and rows[0][-2] is not None else (0, GENESIS_HASH)
    if not rows:
        return 0
    Entry.objects.bulk_create(_chained(head, [(dict(zip(PENDING_FIELDS, row[2:2 + len(PENDING_FIELDS)])), row[1])
                                              for row in rows]))
    return len(rows)


def ledger_flush(wait=True):
    """Chain committed pending entries; returns how many this call chained.

    With `wait` (verify, checkpoints, backups): every entry committed before the call is
    chained when it returns, however busy the writers are meanwhile. Without (a writer,
    right after its commit): a few passes at most, so that no request spends itself
    chaining everyone else's entries under load; a writer that finds the chain locked
    leaves its entries to the holder, which looks again after releasing it, and whatever
    a pass leaves behind is chained by the next writer's flush."""
    if not batching() and not PendingEntry.objects.exists():  # (a restored backup may hold some)
        return 0
    chained = 0
    if wait:
        target = PendingEntry.objects.aggregate(last=Max("id"))["last"]
        deadline = time.monotonic() + 60
        while target is not None and PendingEntry.objects.filter(id__lte=target).exists():
            count = _chain_batch(wait=True)
            chained += count
            if count == 0:
                if time.monotonic() > deadline:  # a writer keeps its transaction open: chain it later
                    logger.warning("ledger entries up to %s still uncommitted after 60 s", target)
                    break
                time.sleep(0.01)  # an earlier writer has not committed yet
        return chained
    for _ in range(FLUSH_PASSES):
        count = _chain_batch(wait=False)
        if count is None:
            break
        chained += count
        if count < FLUSH_BATCH and not PendingEntry.objects.exists():
            break
    return chained


def checkpoint_note(tree_size, root_hex) -> bytes:
    """The signed body, in the C2SP checkpoint layout: origin, size, base64 root."""
    root_b64 = base64.b64encode(bytes.fromhex(root_hex)).decode("ascii")
    return f"{settings.LAWTRAIL_LEDGER_ORIGIN}\n{tree_size}\n{root_b64}\n".encode()


def ledger_checkpoint() -> Checkpoint:
    """Sign the current tree head, every committed entry in it; returns the existing
    checkpoint when nothing changed."""
    ledger_flush()
    return _checkpoint()


@transaction.atomic
def _checkpoint():
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
