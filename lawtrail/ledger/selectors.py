"""Reads of the ledger: entries, checkpoints and Merkle proofs."""

import base64
from dataclasses import dataclass
from functools import cache
from hashlib import sha256

from django.db import connection
from django.db.models import Max

from lawtrail.core.errors import InvalidInput, NotFound
from lawtrail.ledger import keys, merkle
from lawtrail.ledger.models import Checkpoint, Entry
from lawtrail.ledger.tiles import TileTree, tree_size
from lawtrail.ledger.formats import ENTRY_FIELDS, checkpoint_note, entry_bytes, entry_json_sql

CHUNK = 4096  # a power of two: each full chunk is a complete Merkle subtree


@dataclass
class EntryChunk:
    """Up to CHUNK consecutive entries, as lists: their `seqs`, `prev_hashes` and
    `entry_hashes`, `data` the canonical bytes of each (`entry_bytes`), and `tampered` the
    indexes of the entries whose bytes do not hash to their entry_hash."""

    seqs: list
    prev_hashes: list
    entry_hashes: list
    data: list
    tampered: list


# The canonical form (`entry_bytes`: sorted keys, no spaces, strings as JSON quotes them)
# assembled by the database, a whole chunk in one value: `lawtrail verify` reads every
# entry, and taking the fields apart and encoding them again in Python was most of its
# time. Compact JSON holds no raw newline, so the entries are joined by one. Should a
# database quote some text unlike Python (the tests know of none), an entry whose bytes
# miss its hash is encoded again by `entry_bytes` before it is called tampered.
_HASH = 64  # hex digits of a SHA-256


@cache
def _chunk_sql(vendor):
    data = entry_json_sql(vendor)
    rows = f"FROM {Entry._meta.db_table} WHERE seq > %s AND seq <= %s ORDER BY seq LIMIT %s"
    if vendor == "sqlite":  # group_concat keeps the order of the rows it is given (3.40 cannot be told)
        return ("SELECT group_concat(seq, ','), group_concat(prev_hash, ''), group_concat(entry_hash, ''), "
                f"CAST(group_concat(data, char(10)) AS BLOB) FROM (SELECT seq, prev_hash, entry_hash, {data} AS data "
                f"{rows})")
    return ("SELECT string_agg(seq::text, ',' ORDER BY seq), string_agg(prev_hash, '' ORDER BY seq), "
            "string_agg(entry_hash, '' ORDER BY seq), convert_to(string_agg(data, E'\\n' ORDER BY seq), 'UTF8') "
            f"FROM (SELECT seq, prev_hash, entry_hash, {data} AS data {rows}) AS chunk")


def _split(text, size):
    return [text[i:i + size] for i in range(0, len(text), size)]


def _read_chunks(after, upto, in_database):
    """(seqs, prev_hashes, entry_hashes, data) of CHUNK entries at a time, one value each
    from the database where it can (`in_database`); a chunk whose values do not take apart
    cleanly (a hash of the wrong length, which only tampering writes) is read row by row."""
    upto = upto if upto is not None else 2**62
    while True:
        chunk = None
        if in_database:
            with connection.cursor() as cursor:
                cursor.execute(_chunk_sql(connection.vendor), [after, upto, CHUNK])
                seqs, prevs, hashes, data = cursor.fetchone()
            if seqs is None:
                return
            seqs, data = [int(seq) for seq in seqs.split(",")], bytes(data).split(b"\n")
            if len(prevs) == len(hashes) == _HASH * len(seqs) == _HASH * len(data):
                chunk = seqs, _split(prevs, _HASH), _split(hashes, _HASH), data
        if chunk is None:
            values = list(Entry.objects.filter(seq__gt=after, seq__lte=upto).order_by("seq").values(
                *ENTRY_FIELDS, "entry_hash")[:CHUNK])
            if not values:
                return
            chunk = ([v["seq"] for v in values], [v["prev_hash"] for v in values],
                     [v["entry_hash"] for v in values], [entry_bytes(v) for v in values])
        yield chunk
        after = chunk[0][-1]
        if after >= upto:
            return


def entry_chunks(upto=None, in_database=None, readers=None, after=0):
    """The ledger in sequence order (after entry `after`), CHUNK entries at a time (`EntryChunk`); the bytes are
    assembled by the database where we know how (`in_database`), else by `entry_bytes`.
    With `readers` (`core.db.Readers`) the next chunks are read by another thread while
    this one hashes."""
    if in_database is None:
        in_database = entry_json_sql(connection.vendor) is not None
    chunks = _read_chunks(after, upto, in_database)
    for seqs, prevs, hashes, data in readers.prefetch(chunks) if readers else chunks:
        digests = [sha256(d).hexdigest() for d in data]
        tampered = []
        if digests != hashes:
            tampered = _encode_again(seqs, hashes, data, digests)
        yield EntryChunk(seqs, prevs, hashes, data, tampered)


def _encode_again(seqs, hashes, data, digests):
    """The entries of a chunk whose bytes miss their hash (`digests` of `data`), encoded
    by `entry_bytes` (in place in `data`); returns the indexes of those that miss it still."""
    missed = {seqs[i]: i for i in range(len(seqs)) if digests[i] != hashes[i]}
    for values in Entry.objects.filter(seq__in=list(missed)).values(*ENTRY_FIELDS, "entry_hash"):
        data[missed[values["seq"]]] = entry_bytes(values)
    return sorted(i for i in missed.values() if sha256(data[i]).hexdigest() != hashes[i])


def leaf_hashes(size):
    """Every leaf hash up to `size`, from the entries (O(n)); `TileTree(size)` reads the
    same tree from its tiles."""
    return [h for chunk in entry_chunks(size) for h in merkle.leaf_hashes(chunk.data)]


def entries_for_scope(scope):
    return Entry.objects.filter(scope=scope).order_by("seq")


def scope_heads(scopes):
    """{scope: its last chained entry's seq} for these scopes (those with entries)."""
    return dict(Entry.objects.filter(scope__in=scopes).values("scope").annotate(head=Max("seq"))
                .values_list("scope", "head").order_by())


def recent_checkpoints(count=20):
    return Checkpoint.objects.order_by("-id")[:count]


def entry_count():
    """The chain's size: its last sequence number, read off the index (a count walks every
    row: seconds on PostgreSQL at 10^8 entries). The chain has no gaps; verify says so."""
    return Entry.objects.aggregate(last=Max("seq"))["last"] or 0


def latest_checkpoint():
    return Checkpoint.objects.order_by("-id").first()


# A successful `lawtrail verify` records the checkpoint it reached as an entry of its own
# (`ledger_verified`), found again through the (scope, seq) index.
VERIFIED_ACTION, VERIFIED_SCOPE = "ledger.verify", "ledger"


def last_verification():
    """The entry of the last successful verify (its object: the checkpoint reached), or None."""
    return Entry.objects.filter(scope=VERIFIED_SCOPE, action=VERIFIED_ACTION).order_by("-seq").first()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def checkpoint_json(cp):
    return {
        "tree_size": cp.tree_size,
        "root_hash": b64(bytes.fromhex(cp.root_hash)),
        "signed_at": cp.signed_at.isoformat(),
        "key_id": cp.key_id,
        "public_key": keys.public_key_b64(),
        "note": checkpoint_note(cp.tree_size, cp.root_hash).decode(),
        "signature": cp.signature,
    }


def _tree_size(size):
    """The requested size, or the latest checkpoint's, checked against the ledger."""
    if size is None:
        cp = latest_checkpoint()
        if cp is None:
            raise NotFound("尚未签发检查点，请先执行 lawtrail ledger checkpoint。")
        return cp.tree_size
    total = tree_size()
    if not 0 < size <= total:
        raise InvalidInput(f"树大小 {size} 超出账本范围（共 {total} 条）。")
    return size


def inclusion(seq, size=None):
    size = _tree_size(size)
    if not 1 <= seq <= size:
        raise InvalidInput(f"条目 {seq} 不在大小为 {size} 的树中。")
    tree = TileTree(size)  # O(log n) tiles, and no lock: what they held never changes
    proof = tree.inclusion_proof(seq - 1)
    root = tree.root()
    entry = Entry.objects.get(seq=seq)
    data = entry_bytes(entry.__dict__)
    cp = Checkpoint.objects.filter(tree_size=size).order_by("-id").first()
    return {
        "entry": seq,
        "entry_hash": entry.entry_hash,
        "entry_data": b64(data),
        "leaf_index": seq - 1,
        "tree_size": size,
        "leaf_hash": b64(merkle.leaf_hash(data)),
        "root_hash": b64(root),
        "inclusion_path": [b64(h) for h in proof],
        "checkpoint": checkpoint_json(cp) if cp else None,
    }


def consistency(old_size, new_size):
    new_size = _tree_size(new_size)
    if not 0 < old_size <= new_size:
        raise InvalidInput(f"无法证明从大小 {old_size} 到 {new_size} 的一致性：旧树须非空且不大于新树。")
    tree = TileTree(new_size)
    return {
        "old_size": old_size,
        "new_size": new_size,
        "old_root": b64(tree.root(old_size)),
        "new_root": b64(tree.root()),
        "consistency_path": [b64(h) for h in tree.consistency_proof(old_size)],
        "checkpoints": [checkpoint_json(cp) for cp in Checkpoint.objects.filter(tree_size__in=[old_size, new_size])],
    }
