"""`lawtrail verify`: recompute the chain, every checkpoint, every object hash and every blob.

One streaming pass over the ledger checks sequence numbers, the hash chain and each
entry's own hash, feeds the Merkle tree and compares its root at every checkpoint
size with the signed root. Then every ledgered object's current content is re-hashed
against the last entry the database finds for it, and every stored file an object names
(recordings, PDFs, signature images) is re-hashed too.

The daily run (`since`, `lawtrail verify --since-checkpoint`) goes on from the checkpoint the
last successful run reached: the tree at that size is taken from its stored tiles (its
frontier, which must hash to the checkpoint's signed root), and only the entries after it
are read, with the objects they name and their files. What lies before that checkpoint is
the weekly full run's: a rewritten entry there is not seen (unless it makes the frontier
miss the signed root), but the tiles the new entries extend are the ones that root covers.

It checks what the archive keeps, the ledger and the stored files alike, so it sits here,
above both (the ledger's floor is below the blob store).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from typing import NamedTuple

from django.db import DatabaseError
from django.db.models import Max, Q

from lawtrail.blobs import blob_store
from lawtrail.core.db import snapshot
from lawtrail.core.canonical import sha256_hex
from lawtrail.ledger import keys, merkle, registry
from lawtrail.ledger.chain import ledger_flush
from lawtrail.ledger.formats import GENESIS_HASH, checkpoint_note, entry_bytes
from lawtrail.ledger.models import Checkpoint, Entry
from lawtrail.ledger.selectors import entry_chunks, entry_count, last_verification
from lawtrail.ledger.services import ledger_verified
from lawtrail.ledger.tiles import HEIGHT as TILE_HEIGHT, TileCheck, TilesBehind, TileTree

DELETE_ACTION = "delete"
# Retention disposal removes an object's stored files but keeps the object as its tombstone.
DISPOSE_ACTION = "dispose"


class Last(NamedTuple):
    """An object's last entry."""

    seq: int
    action: str
    object_hash: str


@dataclass
class Problem:
    kind: str  # entry | checkpoint | object | blob
    ref: str
    message: str

    def as_dict(self):
        return {"kind": self.kind, "ref": self.ref, "message": self.message}


@dataclass
class Report:
    entries: int = 0
    checkpoints: int = 0
    objects: int = 0
    blobs: int = 0
    blob_bytes: int = 0
    since: int = 0  # the size of the checkpoint the run went on from (0: the full run)
    reached: Checkpoint = None  # the newest checkpoint the run verified
    problems: list = field(default_factory=list)

    @property
    def ok(self):
        return not self.problems

    def add(self, kind, ref, message):
        self.problems.append(Problem(kind, ref, message))

    def as_dict(self):
        return {
            "ok": self.ok,
            "entries": self.entries,
            "checkpoints": self.checkpoints,
            "objects": self.objects,
            "blobs": self.blobs,
            "since": self.since,
            "reached": self.reached.tree_size if self.reached else 0,
            "problems": [p.as_dict() for p in self.problems],
        }


def verify_ledger(since_verified=False):
    """On PostgreSQL the whole check reads one snapshot, so that writes going on meanwhile
    (an object changed after its entries were read) are not reported as tampering.
    `since_verified`: only what came after the checkpoint the last successful run reached
    (None when no run has succeeded yet)."""
    ledger_flush()  # every committed entry in the chain first
    base = None
    if since_verified:
        verification = last_verification()
        if verification is None:
            return None
        base = _recorded_checkpoint(verification)
        if not isinstance(base, Checkpoint):
            report = Report()
            report.add("checkpoint", f"entry {verification.seq}", base)
            return report
    with snapshot() as readers:
        return _verify(readers, base)


def _recorded_checkpoint(entry):
    """The checkpoint a verification entry names, or why it cannot be gone on from. The
    entry always follows its checkpoint, so the run from there checks the entry too."""
    if sha256_hex(entry_bytes(entry.__dict__)) != entry.entry_hash:
        return "记载上次校验的账本条目与其哈希不符（条目被篡改），请运行完整校验"
    cp = Checkpoint.objects.filter(id=entry.object_id).first() if entry.object_id.isdigit() else None
    if cp is None or cp.root_hash != entry.object_hash or cp.tree_size >= entry.seq:
        return "上次校验通过的检查点已不存在或与当时记载的不符（检查点被删除或改写），请运行完整校验"
    return cp


def record_verified(report):
    """A run found everything intact up to `report.reached`: the next daily run goes on
    from there. Kept as a ledger entry, which the next run itself verifies. True when
    recorded; False when there was nothing to record or the database takes no writes (a
    read-only replica, a restored copy checked read-only): the check itself stands."""
    if not report.ok or report.reached is None:
        return False
    try:
        ledger_verified(checkpoint=report.reached, since=report.since)
    except DatabaseError:
        return False
    return True


def _verify(readers, base=None):
    """The entries stream in from another thread (`Readers.prefetch`) while this one
    hashes them, and each object's last entry is found by a third meanwhile."""
    report = Report()
    start = report.since = base.tree_size if base else 0
    upto = entry_count()  # the chain's last sequence number
    last_entries = readers.start(_last_entries, upto, start)
    checkpoints = list(Checkpoint.objects.filter(tree_size__gte=start).order_by("tree_size", "id"))
    report.checkpoints = len(checkpoints)
    begun = _begin(report, base)
    if begun is None:
        last_entries.result()
        return report
    tree, tile_check, prev_hash = begun
    roots_at = {start: tree.root().hex()} if start else {}
    wanted_sizes = {cp.tree_size for cp in checkpoints}
    expected_seq = start + 1

    for chunk in entry_chunks(upto, readers=readers, after=start):
        seqs, hashes = chunk.seqs, chunk.entry_hashes
        # The common case in three comparisons a chunk; the entries at fault one by one.
        if seqs != list(range(expected_seq, expected_seq + len(seqs))) or \
                chunk.prev_hashes != [prev_hash, *hashes[:-1]]:
            for seq, prev, entry_hash in zip(seqs, chunk.prev_hashes, hashes):
                if seq != expected_seq:
                    report.add("entry", f"entry {seq}", f"序号不连续：应为 {expected_seq}，实为 {seq}（条目被删除或插入）")
                if prev != prev_hash:
                    report.add("entry", f"entry {seq}", "前序哈希与上一条目不符（链条断裂）")
                prev_hash, expected_seq = entry_hash, seq + 1
        for i in chunk.tampered:
            report.add("entry", f"entry {seqs[i]}", "条目内容与其哈希不符（条目被篡改）")
        leaves = merkle.leaf_hashes(chunk.data)
        tile_roots = tile_check.add(leaves)
        first = tree.size
        inside = sorted(size for size in wanted_sizes if first < size < first + len(leaves))
        if not inside and len(tile_roots) << TILE_HEIGHT == len(leaves) and first % (1 << TILE_HEIGHT) == 0:
            tree.extend_subtrees(TILE_HEIGHT, tile_roots)  # whole tiles, hashed once for both
        for size in inside:
            tree.extend(leaves[tree.size - first:size - first])  # a checkpoint inside the chunk
            roots_at[size] = tree.root().hex()
        tree.extend(leaves[tree.size - first:])
        if tree.size in wanted_sizes:
            roots_at[tree.size] = tree.root().hex()
        prev_hash, expected_seq = hashes[-1], seqs[-1] + 1
        report.entries += len(seqs)

    tile_check.finish()
    for path, message in tile_check.problems:
        report.add("tile", f"tile {path}", message)
    _check_checkpoints(report, checkpoints, roots_at, tree.size)
    _check_objects(report, *last_entries.result(), upto, everything=base is None)
    return report


def _begin(report, base):
    """(the tree, its tile check, the last entry's hash) to go on from: nothing, or the
    checkpoint `base` with the tree as its stored tiles hold it. None when they cannot."""
    if base is None:
        return merkle.CompactTree(), TileCheck(), GENESIS_HASH
    ref = f"checkpoint {base.id} (size {base.tree_size})"
    last = Entry.objects.filter(seq=base.tree_size).values_list("entry_hash", flat=True).first()
    if last is None:
        report.add("checkpoint", ref, f"账本已没有检查点的第 {base.tree_size} 条（账本被截断）")
        return None
    stored = TileTree(base.tree_size)
    try:
        return merkle.CompactTree(stored.frontier()), TileCheck(stored.open_tiles()), last
    except TilesBehind:
        report.add("tile", ref, "检查点处的默克尔瓦片缺失或短于账本（瓦片被删改），请运行完整校验")
        return None


def _last_entries(upto, after=0):
    """Each object's last entry among those verified (after entry `after`), and which of
    them were disposed of (ever), as the database groups them (their fields are those the
    entries' verified bytes were read from)."""
    verified = Entry.objects.filter(seq__gt=after, seq__lte=upto).exclude(object_type="")
    latest = verified.values("object_type", "object_id").annotate(last=Max("seq")).values("last")
    last_by_object = {(type_name, object_id): Last(seq, action, object_hash)
                      for type_name, object_id, seq, action, object_hash in Entry.objects.filter(
                          seq__in=latest).values_list("object_type", "object_id", "seq", "action", "object_hash")}
    disposals = Entry.objects.filter(seq__lte=upto).filter(
        Q(action=DISPOSE_ACTION) | Q(action__endswith=f".{DISPOSE_ACTION}"))
    if after:  # only the objects named after it, by the (object_type, object_id) index
        by_type = defaultdict(list)
        for type_name, object_id in last_by_object:
            by_type[type_name].append(object_id)
        named = Q(pk__in=[])
        for type_name, ids in by_type.items():
            named |= Q(object_type=type_name, object_id__in=ids)
        disposals = disposals.filter(named)
    return last_by_object, set(disposals.values_list("object_type", "object_id").distinct())


def _check_checkpoints(report, checkpoints, roots_at, size):
    """`size`: the leaves the tree was recomputed over; the newest checkpoint within it
    that verifies is the one the run reached."""
    for cp in checkpoints:
        ref = f"checkpoint {cp.id} (size {cp.tree_size})"
        note = checkpoint_note(cp.tree_size, cp.root_hash)
        valid = keys.verify_signature(note, cp.signature)
        if not valid:
            report.add("checkpoint", ref, "检查点签名无效")
        if cp.tree_size > size:
            report.add("checkpoint", ref, f"检查点覆盖 {cp.tree_size} 条，账本仅余 {size} 条（账本被截断）")
        elif roots_at.get(cp.tree_size) != cp.root_hash:
            report.add("checkpoint", ref, "重算的默克尔根与已签名的根不符（账本被改写）")
        elif valid and (report.reached is None or cp.tree_size >= report.reached.tree_size):
            report.reached = cp


def _is_removal(last):
    return last.action.rsplit(".", 1)[-1] == DELETE_ACTION


def _check_objects(report, last_by_object, disposed, upto, everything=True):
    """Every object (`everything`), or those the verified entries name."""
    by_type = defaultdict(dict)
    for (type_name, object_id), last in last_by_object.items():
        by_type[type_name][object_id] = last
    for type_name, model in registry.ledgered_models().items():
        lasts = by_type[type_name]
        seen = set()
        suspects = []  # (object id, problem): checked again against what was written meanwhile
        objects = model._default_manager.all()
        if not everything:
            objects = objects.filter(pk__in=list(lasts))
        for obj in objects.iterator(chunk_size=2000):
            report.objects += 1
            object_id = str(obj.pk)
            seen.add(object_id)
            last = lasts.get(object_id)
            if last is None:
                suspects.append((object_id, "对象没有任何账本记录（绕过服务写入）"))
            elif _is_removal(last):
                suspects.append((object_id, f"账本记载对象已于条目 {last.seq} 删除，但对象仍存在"))
            elif registry.object_hash(obj) != last.object_hash:
                suspects.append((object_id, f"对象当前内容与账本条目 {last.seq} 的哈希不符（被绕过账本修改）"))
            if (type_name, object_id) in disposed:
                continue  # its files were removed on an approved disposal, which the ledger records
            for name in model.ledger_blobs:
                _check_blob(report, f"{type_name}:{object_id}", name, getattr(obj, name))
        for object_id, last in lasts.items():
            if object_id not in seen and not _is_removal(last):
                suspects.append((object_id, f"对象已不存在，但账本未记载删除（最后条目 {last.seq}）"))
        for object_id, message in suspects:
            if not _written_meanwhile(model, type_name, object_id, upto):
                report.add("object", f"{type_name}:{object_id}", message)


def _written_meanwhile(model, type_name, object_id, upto):
    """Whether an entry written after the verified ones (while this check ran; where no
    snapshot holds the reads still, as on SQLite) accounts for the object as it is now:
    a case opened, changed or removed meanwhile is not tampering. (Those entries are
    verified by the next run.)"""
    later = Entry.objects.filter(seq__gt=upto, object_type=type_name, object_id=object_id).order_by("-seq").first()
    if later is None:
        return False
    obj = model._default_manager.filter(pk=object_id).first()
    if obj is None:
        return _is_removal(later)
    return not _is_removal(later) and registry.object_hash(obj) == later.object_hash


def _check_blob(report, ref, name, sha256):
    """A stored file must still be there and still hash to the name it is stored under."""
    if not sha256:
        return
    store = blob_store()
    if not store.exists(sha256):
        report.add("blob", f"{ref}.{name}", f"存储的文件 {sha256} 已丢失")
        return
    actual, size = store.digest(sha256)
    report.blobs += 1
    report.blob_bytes += size
    if actual != sha256:
        report.add("blob", f"{ref}.{name}", f"存储的文件内容与其 SHA-256 {sha256} 不符（文件被篡改或损坏）")
