"""The only writers of the ledger: append an entry, sign a checkpoint.

Appending in place (SQLite, and PostgreSQL with LAWTRAIL_LEDGER_BATCH off) takes the
chain lock inside the writer's transaction: every ledger-backed write then waits for the
previous one's commit. Batched (PostgreSQL's default) the writer commits its entry as a
pending row with its change, in parallel with other writers; a moment after the commit,
its process's chainer thread (ledger/chainer.py), or whoever else gets the chain lock
first, moves every committed pending row into the chain in one transaction (ledger/chain.py).
Either way an entry exists exactly when its change committed, and the chain has no gap."""

import datetime
import logging

from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models.base import ModelState
from django.dispatch import Signal
from django.utils import timezone

from lawtrail.core.errors import Conflict
from lawtrail.ledger import keys, registry, tiles
from lawtrail.ledger.chain import batching, chain_in_place, ledger_flush
from lawtrail.ledger.chainer import chainer
from lawtrail.ledger.formats import PENDING_FIELDS, checkpoint_note
from lawtrail.ledger.models import Checkpoint, Entry, PendingEntry
from lawtrail.ledger.selectors import VERIFIED_ACTION, VERIFIED_SCOPE

logger = logging.getLogger(__name__)


def actor_name(actor):
    return actor.get_username() if actor is not None else "system"


# Sent inside the writing transaction after each entry of a case: other parts react to its
# changes (the compliance rules re-evaluate the case once the transaction commits). Entries
# of anything else have nothing reacting to them, and skip the dispatch.
entry_appended = Signal(use_caching=True)  # sent on most writes: its receivers looked up once


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
    conn = connections[DEFAULT_DB_ALIAS]  # looked up once: every write comes this way
    # The test suite's own wrapping transactions do not count: a service that forgot
    # @transaction.atomic must fail in the tests as it would in production. They are the
    # outermost blocks, so the innermost one tells.
    blocks = conn.atomic_blocks
    if not blocks or getattr(blocks[-1], "_from_testcase", False):
        raise RuntimeError("ledger_append must be called inside the service's transaction")
    if obj is not None:
        object_type = registry.object_type(obj)
        object_id = str(obj.pk)
        object_hash = registry.object_hash(obj)
    actor_id = getattr(actor, "pk", None)
    # In PENDING_FIELDS order, as a list: on the batched path (every write) no dict is built.
    # The time as `timezone.now()` makes it (USE_TZ), without its settings look-up.
    fields = [datetime.datetime.now(datetime.UTC), actor_name(actor), action, object_type, str(object_id),
              object_hash, scope, reason or ""]
    if batching(conn):
        entry = _insert_pending(conn, actor_id, fields)
        _flush_after_commit(conn)
    else:
        entry = chain_in_place(dict(zip(PENDING_FIELDS, fields)), actor_id)
    if scope.startswith("case:"):
        entry_appended.send(sender=Entry, entry=entry)
    return entry


_PENDING_COLUMNS = ("actor_id", *PENDING_FIELDS)
_PENDING_INSERT = (f"INSERT INTO {PendingEntry._meta.db_table} ({', '.join(_PENDING_COLUMNS)}) "
                   f"VALUES ({', '.join(['%s'] * len(_PENDING_COLUMNS))})")
assert {field.attname for field in PendingEntry._meta.concrete_fields} == {"id", *_PENDING_COLUMNS}


def _insert_pending(conn, actor_id, fields):
    """One row, straight (on the path of every write, the ORM's own work would show), and
    sent with the COMMIT (core/pgbackend): nothing in the transaction reads it back, so it
    costs the writer no round trip of its own. Its id comes with the insert; the entry
    returned has none."""
    params = [actor_id, *fields]
    if hasattr(conn, "defer_to_commit"):
        conn.defer_to_commit("lawtrail_pending", _PENDING_INSERT, params)
    else:  # Django's own backend named in the settings
        with conn.cursor() as cursor:
            cursor.execute(_PENDING_INSERT, params)
    # The instance as Django unpickles one (Model.__new__, then its attributes): its
    # __init__ (every field's default looked at, the init signals sent) cost the write as
    # much as the rest of ledger_append. PendingEntry has no field with a descriptor of
    # its own (no relation, no deferred field), so its attributes are its values.
    entry = PendingEntry.__new__(PendingEntry)
    entry.__dict__.update(zip(_PENDING_COLUMNS, params), id=None, _state=ModelState())
    return entry


def _flush_after_commit(conn):
    """Once per transaction: chain its entries when it commits (nothing, should it roll back)."""
    if not any(callback[1] is _flush_committed for callback in conn.run_on_commit):
        conn.on_commit(_flush_committed)


def _flush_committed():
    chainer().poke()  # chained a moment later by this process's thread (ledger/chainer.py)


def ledger_checkpoint() -> Checkpoint:
    """Sign the current tree head, every committed entry in it; returns the latest
    checkpoint when nothing changed. The root is read from the tiles outside any lock (what
    a tile held never changes), so no write waits on it."""
    ledger_flush()
    size = tiles.tree_size()
    if size == 0:
        raise Conflict("账本为空，无法签发检查点。")
    latest = Checkpoint.objects.order_by("-id").first()
    if latest is not None and latest.tree_size == size:
        return latest
    return _checkpoint(size, tiles.TileTree(size).root().hex(), latest.id if latest else 0)


@transaction.atomic
def ledger_verified(*, checkpoint, since=0) -> Entry:
    """`lawtrail verify` found the ledger intact up to `checkpoint` (going on from the
    checkpoint of size `since`, or from the first entry): the next daily run goes on from
    there. An entry, not a file beside the database: it follows its checkpoint in the
    chain, so the next run verifies it, and the witnesses then cosign it; whoever forges
    one to skip a stretch leaves it in the ledger for good."""
    how = f"自第 {since} 条起增量校验" if since else "完整校验"
    return ledger_append(actor=None, action=VERIFIED_ACTION, object_type="ledger.checkpoint",
                         object_id=str(checkpoint.id), object_hash=checkpoint.root_hash, scope=VERIFIED_SCOPE,
                         reason=f"{how}通过，至检查点 {checkpoint.tree_size} 条")


_CHECKPOINT_LOCK = 0x4C617743  # any constant: one checkpoint written at a time


@transaction.atomic
def _checkpoint(size, root, seen):
    """One made meanwhile (after checkpoint `seen`) for as large a tree stands."""
    if connection.vendor == "postgresql":  # (SQLite's IMMEDIATE transaction is the one write lock)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHECKPOINT_LOCK])
    latest = Checkpoint.objects.order_by("-id").first()
    if latest is not None and (latest.tree_size == size or latest.id > seen and latest.tree_size > size):
        return latest
    return Checkpoint.objects.create(
        tree_size=size,
        root_hash=root,
        signed_at=timezone.now(),
        key_id=keys.key_id(),
        signature=keys.sign(checkpoint_note(size, root)),
    )
