"""The only writers of the ledger: append an entry, sign a checkpoint.

Appending in place (SQLite, and PostgreSQL with LAWTRAIL_LEDGER_BATCH off) takes the
chain lock inside the writer's transaction: every ledger-backed write then waits for the
previous one's commit. Batched (PostgreSQL's default) the writer commits its entry as a
pending row with its change, in parallel with other writers; a moment after the commit,
its process's chainer thread (ledger/chainer.py), or whoever else gets the chain lock
first, moves every committed pending row into the chain in one transaction.
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
from lawtrail.ledger.chainer import chainer
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


# `entry_bytes` as SQL over an entry's columns, so that the database can assemble (verify)
# and hash (the batched chain) entries itself; `column` names where each field comes from.
# The time is kept in UTC: SQLite as "YYYY-MM-DD HH:MM:SS[.ffffff]", PostgreSQL as timestamptz.
_TIME_SQL = {
    "sqlite": "replace({0}, ' ', 'T') || CASE WHEN length({0}) = 19 THEN '.000000Z' ELSE 'Z' END",
    "postgresql": "to_char({0} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')",
}


def entry_json_sql(vendor, column=str):
    """A text expression (SQLite: json_object, which keeps the order given and writes compact
    JSON; PostgreSQL: each value quoted by to_json and joined here, as json_build_object
    would put spaces in). None for a database we have not checked."""
    if vendor not in _TIME_SQL:
        return None
    fields = {name: column(name) for name in ENTRY_FIELDS} | {"time": _TIME_SQL[vendor].format(column("time")),
                                                              "v": "1"}
    names = sorted(fields)
    if vendor == "sqlite":
        return "json_object({})".format(", ".join(f"'{name}', {fields[name]}" for name in names))
    quoted = {name: f"to_json({fields[name]})::text" for name in names} | {"seq": f"{fields['seq']}::text",
                                                                          "v": "'1'"}
    return "{} || '}}'".format(" || ".join(
        f"'{',' if i else '{'}\"{name}\":' || {quoted[name]}" for i, name in enumerate(names)))


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
entry_appended = Signal(use_caching=True)  # sent on every write: its receivers looked up once


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
    # The test suite's own wrapping transaction does not count: a service that forgot
    # @transaction.atomic must fail in the tests as it would in production.
    if not any(not getattr(block, "_from_testcase", False) for block in conn.atomic_blocks):
        raise RuntimeError("ledger_append must be called inside the service's transaction")
    if obj is not None:
        object_type = registry.object_type(obj)
        object_id = str(obj.pk)
        object_hash = registry.object_hash(obj)
    actor_id = getattr(actor, "pk", None)
    # In PENDING_FIELDS order, as a list: on the batched path (every write) no dict is built.
    fields = [timezone.now(), actor_name(actor), action, object_type, str(object_id), object_hash, scope, reason or ""]
    if batching(conn):
        entry = _insert_pending(conn, actor_id, fields)
        _flush_after_commit(conn)
    else:
        lock_chain()
        entry = Entry.objects.bulk_create(_chained(_head(), [(dict(zip(PENDING_FIELDS, fields)), actor_id)]))[0]
    entry_appended.send(sender=Entry, entry=entry)
    return entry


_PENDING_INSERT = (f"INSERT INTO {PendingEntry._meta.db_table} (actor_id, {', '.join(PENDING_FIELDS)}) "
                   f"VALUES ({', '.join(['%s'] * (len(PENDING_FIELDS) + 1))})")
# Where each of the model's fields (in its own order, the id first) is in the insert's values.
_PENDING_PLACES = [None if field.attname == "id" else ("actor_id", *PENDING_FIELDS).index(field.attname)
                   for field in PendingEntry._meta.concrete_fields]


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
    return PendingEntry(*(None if place is None else params[place] for place in _PENDING_PLACES))


def batching(conn=connection):
    return settings.LAWTRAIL_LEDGER_BATCH and conn.vendor == "postgresql"


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


def _flush_after_commit(conn):
    """Once per transaction: chain its entries when it commits (nothing, should it roll back)."""
    if not any(callback[1] is _flush_committed for callback in conn.run_on_commit):
        conn.on_commit(_flush_committed)


def _flush_committed():
    chainer().poke()  # chained a moment later by this process's thread (ledger/chainer.py)


def _chain_batch(wait, passes=1):
    """Move committed pending entries into the chain, up to FLUSH_BATCH a pass, under the
    chain lock. Returns how many, or None when `wait` is off and another transaction holds
    the lock."""
    if connection.vendor != "postgresql":  # SQLite's IMMEDIATE transaction is the one write lock
        with transaction.atomic():
            return _move_pending()
    # The function takes the chain lock for its own transaction, or the surrounding one
    # (without `wait`, it gives up at once when the chain is busy: one round trip, and the
    # entries are left to the holder). PostgreSQL lets a transaction's locks go only once
    # its commit is visible, so the next holder reads the new head.
    return _chain_in_database(wait, passes)


def _chain_in_database(wait, passes):
    with connection.cursor() as cursor:
        cursor.execute("SELECT lawtrail_chain_pending(%s, %s, %s)", [FLUSH_BATCH, passes, wait])
        count = cursor.fetchone()[0]
    return None if count < 0 else count


def _move_pending():
    rows = list(PendingEntry.objects.order_by("id").values_list("id", "actor_id", *PENDING_FIELDS)[:FLUSH_BATCH])
    if not rows:
        return 0
    PendingEntry.objects.filter(id__in=[row[0] for row in rows]).delete()
    Entry.objects.bulk_create(_chained(_head(), [(dict(zip(PENDING_FIELDS, row[2:])), row[1]) for row in rows]))
    return len(rows)


# The batched chain's mover on PostgreSQL, in the database: one round trip, where taking
# the rows out, hashing and inserting them from Python took four. It takes the chain lock
# (or, without `wait`, gives up at once: -1), takes up to `batch` committed pending rows
# out in order, chains them (`entry_json_sql`, SHA-256) and looks again, up to `passes`
# times, for rows committed meanwhile. It commits without waiting for the disk: the
# pending rows were made durable by their writers' own commits, and a crash could only
# lose the move as a whole; the rows are then pending again, and the next flush chains
# them. A checkpoint's commit waits, and makes every move before it durable. The oldest
# pending rows are found through the primary key: the table holds a few live rows and,
# until it is vacuumed, every row taken out before them, which a sequential scan (the
# plan PostgreSQL chose as they piled up) read in full on every pass.
def _chain_function_sql():
    entry, pending = Entry._meta.db_table, PendingEntry._meta.db_table
    local = {"seq": "head_seq", "prev_hash": "head_hash"}
    data = entry_json_sql("postgresql", lambda name: local.get(name, f"r.{name}"))
    moved_columns = ", ".join(("actor_id", *PENDING_FIELDS))
    return f"""
CREATE OR REPLACE FUNCTION lawtrail_chain_pending(batch integer, passes integer, wait boolean)
RETURNS integer AS $$
DECLARE
    r record;
    head_seq bigint;
    head_hash text;
    first_seq bigint;
    ids bigint[];
    prevs text[];
    hashes text[];
    inserted integer;
    total integer := 0;
BEGIN
    IF wait THEN
        PERFORM pg_advisory_xact_lock({_APPEND_LOCK});
    ELSIF NOT pg_try_advisory_xact_lock({_APPEND_LOCK}) THEN
        RETURN -1;
    END IF;
    PERFORM set_config('synchronous_commit', 'off', true);
    SELECT seq, entry_hash INTO head_seq, head_hash FROM {entry} ORDER BY seq DESC LIMIT 1;
    IF head_seq IS NULL THEN
        head_seq := 0;
        head_hash := '{GENESIS_HASH}';
    END IF;
    FOR pass IN 1..passes LOOP
        -- Hash the oldest rows one after the other (each link needs the last), then
        -- move them all in one statement.
        first_seq := head_seq;
        ids := '{{}}';
        prevs := '{{}}';
        hashes := '{{}}';
        FOR r IN SELECT * FROM {pending} ORDER BY id LIMIT batch LOOP
            head_seq := head_seq + 1;
            ids := array_append(ids, r.id);
            prevs := array_append(prevs, head_hash);
            head_hash := encode(sha256(convert_to({data}, 'UTF8')), 'hex');
            hashes := array_append(hashes, head_hash);
        END LOOP;
        EXIT WHEN head_seq = first_seq;
        WITH taken AS (DELETE FROM {pending} WHERE id = ANY(ids) RETURNING *)
        INSERT INTO {entry} (seq, prev_hash, entry_hash, {moved_columns})
        SELECT first_seq + link.n, link.prev_hash, link.entry_hash, {moved_columns}
        FROM unnest(ids, prevs, hashes) WITH ORDINALITY AS link(id, prev_hash, entry_hash, n)
        JOIN taken USING (id);
        GET DIAGNOSTICS inserted = ROW_COUNT;
        IF inserted <> head_seq - first_seq THEN  -- a row taken meanwhile: no gap, ever
            RAISE EXCEPTION 'ledger: % pending entries hashed, % moved', head_seq - first_seq, inserted;
        END IF;
        total := total + inserted;
    END LOOP;
    RETURN total;
END;
$$ LANGUAGE plpgsql SET enable_seqscan = off;
"""


def install_chain_function(using=DEFAULT_DB_ALIAS, **kwargs):
    """post_migrate: (re)create `lawtrail_chain_pending`, so that it always hashes as this
    version of `entry_bytes` does."""
    if connections[using].vendor == "postgresql":
        with connections[using].cursor() as cursor:
            cursor.execute(_chain_function_sql())


def ledger_flush(wait=True):
    """Chain committed pending entries; returns how many this call chained.

    With `wait` (verify, checkpoints, backups): every entry committed before the call is
    chained when it returns, however busy the writers are meanwhile. Without (a process's
    chainer, a moment after its commits): one call of the chaining function, looking again
    for entries committed meanwhile up to FLUSH_PASSES times; None when the chain was
    locked, and the caller must try again (the holder may have looked for the last time
    before its entries committed)."""
    if not batching() and not PendingEntry.objects.exists():  # (a restored backup may hold some)
        return 0
    if getattr(connection, "deferred", None):  # inside a transaction: its own entries too
        connection.write_deferred()
    if not wait:
        return _chain_batch(wait=False, passes=FLUSH_PASSES)
    chained = 0
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


def ledger_catch_up(scope, but=None):
    """Chain now the pending entries of this scope (the batched chain links them a moment
    after their commit), so that whoever just changed a case sees the change in the trail
    of the page they are sent to next, whichever process serves it. `but`: a regex of the
    actions that need not wait (the reads). Nothing to do, one small query."""
    if not batching():
        return 0
    pending = PendingEntry.objects.filter(scope=scope)
    if but:
        pending = pending.exclude(action__regex=but)
    return ledger_flush() if pending.exists() else 0


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
