from ninja import Router

from lawtrail.access.policy import RESTRICTED_ENTRY, entry_for
from lawtrail.core.errors import NotFound
from lawtrail.ledger import selectors

router = Router(tags=["账本"])


@router.get("/checkpoint", summary="最新签名检查点")
def checkpoint(request):
    cp = selectors.latest_checkpoint()
    if cp is None:
        raise NotFound("尚未签发检查点")
    return selectors.checkpoint_json(cp)


@router.get("/proof/{seq}", summary="条目的包含证明")
def proof(request, seq: int, size: int | None = None):
    entry = entry_for(request.user, seq)
    proof = selectors.inclusion(seq, size)
    if getattr(entry, "restricted", False):
        # The path and hashes prove the entry is in the tree; its content is not the user's to read.
        proof.update(entry_data=None, restricted=RESTRICTED_ENTRY)
    return proof


@router.get("/consistency", summary="两个树大小之间的一致性证明（只含哈希）")
def consistency(request, old: int, new: int | None = None):
    return selectors.consistency(old, new)
