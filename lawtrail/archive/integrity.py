"""`lawtrail verify`: recompute the chain, every checkpoint, every object hash and every blob.

One streaming pass over the ledger checks sequence numbers, the hash chain and each
entry's own hash, feeds the Merkle tree and compares its root at every checkpoint
size with the signed root. Then every ledgered object's current content is re-hashed
against the last entry the database finds for it, and every stored file an object names
(recordings, PDFs, signature images) is re-hashed too.

It checks what the archive keeps, the ledger and the stored files alike, so it sits here,
above both (the ledger's floor is below the blob store).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from typing import NamedTuple

from django.db.models import Max, Q

from lawtrail.blobs import blob_store
from lawtrail.core.db import snapshot
from lawtrail.ledger import keys, merkle, registry
from lawtrail.ledger.chain import ledger_flush
from lawtrail.ledger.formats import GENESIS_HASH, checkpoint_note
from lawtrail.ledger.models import Checkpoint, Entry
from lawtrail.ledger.selectors import entry_chunks
from lawtrail.ledger.tiles import HEIGHT as TILE_HEIGHT, TileCheck

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
            "problems": [p.as_dict() for p in self.problems],
        }


def verify_ledger() -> Report:
    """On PostgreSQL the whole check reads one snapshot, so that writes going on meanwhile
    (an object changed after its entries were read) are not reported as tampering."""
    ledger_flush()  # every committed entry in the chain first
    with snapshot() as readers:
        return _verify(readers)


def _verify(readers):
    """The entries stream in from another thread (`Readers.prefetch`) while this one
    hashes them, and each object's last entry is found by a third meanwhile."""
    report = Report()
    upto = Entry.objects.aggregate(last=Max("seq"))["last"] or 0
    last_entries = readers.start(_last_entries, upto)
    checkpoints = list(Checkpoint.objects.order_by("tree_size", "id"))
    report.checkpoints = len(checkpoints)
    roots_at = {}
    wanted_sizes = {cp.tree_size for cp in checkpoints}
    tree = merkle.CompactTree()
    tile_check = TileCheck()
    expected_seq, prev_hash = 1, GENESIS_HASH

    for chunk in entry_chunks(upto, readers=readers):
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
        start = tree.size
        inside = sorted(size for size in wanted_sizes if start < size < start + len(leaves))
        if not inside and len(tile_roots) << TILE_HEIGHT == len(leaves) and start % (1 << TILE_HEIGHT) == 0:
            tree.extend_subtrees(TILE_HEIGHT, tile_roots)  # whole tiles, hashed once for both
        for size in inside:
            tree.extend(leaves[tree.size - start:size - start])  # a checkpoint inside the chunk
            roots_at[size] = tree.root().hex()
        tree.extend(leaves[tree.size - start:])
        if tree.size in wanted_sizes:
            roots_at[tree.size] = tree.root().hex()
        prev_hash, expected_seq = hashes[-1], seqs[-1] + 1
        report.entries += len(seqs)

    tile_check.finish()
    for path, message in tile_check.problems:
        report.add("tile", f"tile {path}", message)
    _check_checkpoints(report, checkpoints, roots_at)
    _check_objects(report, *last_entries.result(), upto)
    return report


def _last_entries(upto):
    """Each object's last entry among those verified, and the objects disposed of, as the
    database groups them (their fields are those the entries' verified bytes were read from)."""
    verified = Entry.objects.filter(seq__lte=upto).exclude(object_type="")
    latest = verified.values("object_type", "object_id").annotate(last=Max("seq")).values("last")
    last_by_object = {(type_name, object_id): Last(seq, action, object_hash)
                      for type_name, object_id, seq, action, object_hash in Entry.objects.filter(
                          seq__in=latest).values_list("object_type", "object_id", "seq", "action", "object_hash")}
    disposed = set(verified.filter(Q(action=DISPOSE_ACTION) | Q(action__endswith=f".{DISPOSE_ACTION}"))
                   .values_list("object_type", "object_id").distinct())
    return last_by_object, disposed


def _check_checkpoints(report, checkpoints, roots_at):
    for cp in checkpoints:
        ref = f"checkpoint {cp.id} (size {cp.tree_size})"
        note = checkpoint_note(cp.tree_size, cp.root_hash)
        if not keys.verify_signature(note, cp.signature):
            report.add("checkpoint", ref, "检查点签名无效")
        if cp.tree_size > report.entries:
            report.add("checkpoint", ref, f"检查点覆盖 {cp.tree_size} 条，账本仅余 {report.entries} 条（账本被截断）")
        elif roots_at.get(cp.tree_size) != cp.root_hash:
            report.add("checkpoint", ref, "重算的默克尔根与已签名的根不符（账本被改写）")


def _is_removal(last):
    return last.action.rsplit(".", 1)[-1] == DELETE_ACTION


def _check_objects(report, last_by_object, disposed, upto):
    by_type = defaultdict(dict)
    for (type_name, object_id), last in last_by_object.items():
        by_type[type_name][object_id] = last
    for type_name, model in registry.ledgered_models().items():
        lasts = by_type[type_name]
        seen = set()
        suspects = []  # (object id, problem): checked again against what was written meanwhile
        for obj in model._default_manager.all().iterator(chunk_size=2000):
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
