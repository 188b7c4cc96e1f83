"""Reads of the ledger: entries, checkpoints and Merkle proofs."""

import base64

from lawtrail.core.errors import InvalidInput, NotFound
from lawtrail.ledger import keys, merkle
from lawtrail.ledger.models import Checkpoint, Entry
from lawtrail.ledger.services import ENTRY_FIELDS, checkpoint_note, entry_bytes

CHUNK = 5000


def iter_entry_values(upto=None):
    """Every entry's hashed fields plus its stored hash, in sequence order."""
    qs = Entry.objects.order_by("seq")
    if upto is not None:
        qs = qs.filter(seq__lte=upto)
    yield from qs.values(*ENTRY_FIELDS, "entry_hash").iterator(chunk_size=CHUNK)


def leaf_hashes(size):
    hashes = [merkle.leaf_hash(entry_bytes(values)) for values in iter_entry_values(size)]
    return hashes[:size]


def entries_for_scope(scope):
    return Entry.objects.filter(scope=scope).order_by("seq")


def latest_checkpoint():
    return Checkpoint.objects.order_by("-id").first()


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
    total = Entry.objects.count()
    if not 0 < size <= total:
        raise InvalidInput(f"树大小 {size} 超出账本范围（共 {total} 条）。")
    return size


def inclusion(seq, size=None):
    size = _tree_size(size)
    if not 1 <= seq <= size:
        raise InvalidInput(f"条目 {seq} 不在大小为 {size} 的树中。")
    hashes = leaf_hashes(size)
    proof = merkle.inclusion_proof(hashes, seq - 1)
    root = merkle.root_from_leaf_hashes(hashes)
    entry = Entry.objects.get(seq=seq)
    cp = Checkpoint.objects.filter(tree_size=size).order_by("-id").first()
    return {
        "entry": seq,
        "entry_hash": entry.entry_hash,
        "entry_data": b64(entry_bytes(entry.__dict__)),
        "leaf_index": seq - 1,
        "tree_size": size,
        "leaf_hash": b64(hashes[seq - 1]),
        "root_hash": b64(root),
        "inclusion_path": [b64(h) for h in proof],
        "checkpoint": checkpoint_json(cp) if cp else None,
    }


def consistency(old_size, new_size):
    new_size = _tree_size(new_size)
    if not 0 < old_size <= new_size:
        raise InvalidInput(f"无法证明从大小 {old_size} 到 {new_size} 的一致性：旧树须非空且不大于新树。")
    hashes = leaf_hashes(new_size)
    return {
        "old_size": old_size,
        "new_size": new_size,
        "old_root": b64(merkle.root_from_leaf_hashes(hashes[:old_size])),
        "new_root": b64(merkle.root_from_leaf_hashes(hashes)),
        "consistency_path": [b64(h) for h in merkle.consistency_proof(hashes, old_size)],
        "checkpoints": [checkpoint_json(cp) for cp in Checkpoint.objects.filter(tree_size__in=[old_size, new_size])],
    }
