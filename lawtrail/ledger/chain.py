"""The hash chain: its lock, its head, and moving pending entries into it.

Appending in place (SQLite, and PostgreSQL with LAWTRAIL_LEDGER_BATCH off) links each
entry at the head under the chain lock, inside the writer's transaction. Batched
(PostgreSQL's default) the writer commits a pending row instead, and `ledger_flush` moves
every committed pending row into the chain in one transaction: called by the process's
chainer thread (ledger/chainer.py) a moment after the commit, or by whoever needs every
entry chained first (verify, checkpoints, backups, the case trail)."""

import functools
import logging
import time

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import Max

from lawtrail.core.canonical import sha256_hex
from lawtrail.core.prepared import Prepared
from lawtrail.ledger import tiles
from lawtrail.ledger.formats import GENESIS_HASH, PENDING_FIELDS, entry_bytes, entry_json_sql
from lawtrail.ledger.models import Entry, PendingEntry

# Any constant: the advisory lock that serialises appends on PostgreSQL.
_APPEND_LOCK = 0x4C617754

logger = logging.getLogger(__name__)


def lock_chain():
    """Serialise writers of the chain until the current transaction ends."""
    # SQLite runs every transaction IMMEDIATE (settings), which already holds the
    # one write lock; PostgreSQL needs an explicit lock so that two writers never
    # read the same head and fork the chain.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_APPEND_LOCK])


def batching(conn=connection):
    return settings.LAWTRAIL_LEDGER_BATCH and conn.vendor == "postgresql"


def chain_in_place(values, actor_id):
    """Link one entry (`values` of PENDING_FIELDS) at the head now, holding the chain lock
    until the writer's transaction ends."""
    lock_chain()
    return _insert(_head(), [(values, actor_id)])[0]


def _head():
    head = Entry.objects.order_by("-seq").values_list("seq", "entry_hash").first()
    return head or (0, GENESIS_HASH)


def _insert(head, items):
    """Insert entries for (values, actor_id) pairs, linked one after the other from `head`,
    and the tiles they complete."""
    seq, prev_hash = head
    entries, data = [], []
    for values, actor_id in items:
        seq += 1
        values = {**values, "seq": seq, "prev_hash": prev_hash}
        data.append(entry_bytes(values))
        prev_hash = values["entry_hash"] = sha256_hex(data[-1])
        entries.append(Entry(actor_id=actor_id, **values))
    Entry.objects.bulk_create(entries)
    tiles.extend(head[0], seq, data)  # their leaves from the bytes just hashed
    return entries


FLUSH_BATCH = 5000
FLUSH_PASSES = 4


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
    """Up to the entry that completes a tile, in the function's own transaction (one round
    trip, as most passes are); that entry and the rest in one with the tiles they complete.
    None when the chain was busy (without `wait`)."""
    count = _call_chain_function(wait, passes, stop_before_tile=True)
    if count > -2:
        return None if count < 0 else count
    with transaction.atomic():
        more = _call_chain_function(wait, passes, stop_before_tile=False)
        if more < 0:
            return None  # (another holder chains the rest)
        size = tiles.tree_size()
        tiles.extend(size - more, size)
    return -2 - count + more


def _call_chain_function(wait, passes, stop_before_tile):
    if hasattr(connection, "fetch_value") and not connection.in_atomic_block:
        # Most calls (every chainer pass): through libpq, without a cursor, whose own work
        # cost the client about as much as the rest of a write's entry.
        return int(connection.fetch_value(f"SELECT lawtrail_chain_pending({FLUSH_BATCH}, {int(passes)}, "
                                          f"{'TRUE' if wait else 'FALSE'}, {'TRUE' if stop_before_tile else 'FALSE'})"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT lawtrail_chain_pending(%s, %s, %s, %s)", [FLUSH_BATCH, passes, wait, stop_before_tile])
        return cursor.fetchone()[0]


def _move_pending():
    rows = list(PendingEntry.objects.order_by("id").values_list("id", "actor_id", *PENDING_FIELDS)[:FLUSH_BATCH])
    if not rows:
        return 0
    PendingEntry.objects.filter(id__in=[row[0] for row in rows]).delete()
    _insert(_head(), [(dict(zip(PENDING_FIELDS, row[2:])), row[1]) for row in rows])
    return len(rows)


# The batched chain's mover on PostgreSQL, in the database: one round trip, where taking
# the rows out, hashing and inserting them from Python took four. It takes the chain lock
# (or, without `wait`, gives up at once: -1), takes up to `batch` committed pending rows
# out in order, chains them (`entry_json_sql`, SHA-256) and looks again, up to `passes`
# times, for rows committed meanwhile. With `stop_before_tile` it leaves the entry that
# would complete a 256-leaf tile pending and returns -2 - (the rows it chained): that entry
# goes in a transaction that writes the tile too (ledger/tiles.py). It commits without waiting for the disk: the
# pending rows were made durable by their writers' own commits, and a crash could only
# lose the move as a whole; the rows are then pending again, and the next flush chains
# them. A checkpoint's commit waits, and makes every move before it durable. The oldest
# pending rows are found through the primary key: the table holds a few live rows and,
# until it is vacuumed, every row taken out before them, which a sequential scan (the
# plan PostgreSQL chose as they piled up) read in full on every pass.
def _chain_function_sql():
    entry, pending, width = Entry._meta.db_table, PendingEntry._meta.db_table, tiles.WIDTH
    local = {"seq": "head_seq", "prev_hash": "head_hash"}
    data = entry_json_sql("postgresql", lambda name: local.get(name, f"r.{name}"))
    moved_columns = ", ".join(("actor_id", *PENDING_FIELDS))
    return f"""
CREATE OR REPLACE FUNCTION lawtrail_chain_pending(batch integer, passes integer, wait boolean,
                                                  stop_before_tile boolean)
RETURNS integer AS $$
DECLARE
    r record;
    room integer;
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
        room := batch;
        IF stop_before_tile THEN
            room := LEAST(batch, {width - 1} - head_seq % {width});
            IF room = 0 THEN
                IF EXISTS (SELECT 1 FROM {pending}) THEN
                    RETURN -2 - total;
                END IF;
                EXIT;
            END IF;
        END IF;
        ids := '{{}}';
        prevs := '{{}}';
        hashes := '{{}}';
        FOR r IN SELECT * FROM {pending} ORDER BY id LIMIT room LOOP
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
    IF stop_before_tile AND head_seq % {width} = {width - 1} AND EXISTS (SELECT 1 FROM {pending}) THEN
        RETURN -2 - total;
    END IF;
    RETURN total;
END;
$$ LANGUAGE plpgsql SET enable_seqscan = off;
"""


def install_chain_function(using=DEFAULT_DB_ALIAS, **kwargs):
    """post_migrate: (re)create `lawtrail_chain_pending`, so that it always hashes as this
    version of `entry_bytes` does."""
    if connections[using].vendor == "postgresql":
        with connections[using].cursor() as cursor:
            # The function of before the tiles, which did not stop for them.
            cursor.execute("DROP FUNCTION IF EXISTS lawtrail_chain_pending(integer, integer, boolean)")
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


def vacuum_pending():
    """Clear out the rows the chain has taken out of ledger_pending, where the database runs
    without autovacuum (where it runs, the table's own settings, migration 0005, have it
    vacuumed every 1,000 rows). The queue holds a few live rows and, until vacuumed, every
    row ever taken out: each write's insert, the chaining function and every case page's
    catch-up then wade through them. This project's test machine runs PostgreSQL without
    autovacuum: the load bench's queue held 18,031 dead rows and no live one, and a case
    page under load fell from 86 to 47 a second. Skipped when another vacuum has the table;
    empty pages are kept (giving them back would wait for the writers' locks)."""
    if connection.vendor == "postgresql" and not connection.in_atomic_block and not autovacuum_runs():
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM (SKIP_LOCKED, TRUNCATE FALSE) {PendingEntry._meta.db_table}")


@functools.cache
def autovacuum_runs():
    """Whether the database server vacuums by itself (read once a process)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('autovacuum') = 'on'")
        return cursor.fetchone()[0]


# Whether a scope has pending entries other than those whose action matches a regex (on every
# case page: compiled once).
_PENDING_BUT = Prepared(lambda scope, but: PendingEntry.objects.filter(scope=scope).exclude(
    action__regex=but).values_list("pk")[:1], str, str)


NOTHING = "(?!)"  # a regex that matches no action


def ledger_catch_up(scope, but=None):
    """Chain now the pending entries of this scope (the batched chain links them a moment
    after their commit), so that whoever just changed a case sees the change in the trail
    of the page they are sent to next, whichever process serves it. `but`: a regex of the
    actions that need not wait (the reads). Nothing to do, one small query."""
    if not batching():
        return 0
    return ledger_flush() if _PENDING_BUT.rows(scope, but or NOTHING) else 0
