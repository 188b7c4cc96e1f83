"""The witnesses' side of the ledger: their cosignatures of checkpoints (kept for ever,
append-only) and how the submissions to each went (what the ledger page shows the admin).
The only writers of both; the submitting itself is lawtrail/witness/client.py."""

from django.db import transaction
from django.utils import timezone

from lawtrail.ledger.models import Checkpoint, Cosignature, Entry, WitnessStatus
from lawtrail.ledger import merkle
from lawtrail.ledger.selectors import leaf_hashes
from lawtrail.ledger.tiles import TilesBehind, TileTree


@transaction.atomic
def cosignature_add(*, checkpoint, witness, signed_at, line) -> Cosignature:
    existing = Cosignature.objects.filter(checkpoint=checkpoint, witness=witness).first()
    return existing or Cosignature.objects.create(checkpoint=checkpoint, witness=witness, signed_at=signed_at,
                                                  line=line)


def witness_status(witness, url) -> WitnessStatus:
    status, _ = WitnessStatus.objects.get_or_create(witness=witness, defaults={"url": url})
    return status


def witness_attempt_record(*, status, size=None, error=""):
    """One submission's outcome: `error` empty when the witness cosigned (or said its size)."""
    now = timezone.now()
    status.last_attempt_at = now
    if size is not None:
        status.size = size
    if error:
        status.failures += 1
        status.last_error = error
    else:
        status.failures, status.last_error, status.last_success_at = 0, "", now
    status.save()


def witness_statuses():
    return list(WitnessStatus.objects.all())


def cosignatures_of(checkpoint):
    return list(checkpoint.cosignatures.all())


def newest_cosigned_checkpoint():
    return Checkpoint.objects.filter(cosignatures__isnull=False).order_by("-tree_size", "-id").first()


def root_at(size):
    """The root of the first `size` entries, read from the stored tiles (a start-up must not
    rebuild the tree); from the entries themselves where the tiles fall short. `lawtrail
    verify` checks the tiles against the entries."""
    try:
        return TileTree(size).root()
    except TilesBehind:
        return merkle.root_from_leaf_hashes(leaf_hashes(size))


def cosigned_tree_problem():
    """Why the ledger does not hold the newest checkpoint a witness cosigned (smaller, or
    another tree at that size); None when it does, or nothing is cosigned yet."""
    cp = newest_cosigned_checkpoint()
    if cp is None:
        return None
    size = Entry.objects.count()
    if size < cp.tree_size:
        return f"账本仅有 {size} 条，少于见证服务已联署的检查点（{cp.tree_size} 条）：账本被截断或回滚"
    if root_at(cp.tree_size).hex() != cp.root_hash:
        return f"账本前 {cp.tree_size} 条的默克尔根与见证服务已联署的检查点不符：账本被改写"
    return None


# A witness silent this many passes in a row is shown to the admin as not answering.
SILENT_AFTER = 1


def witness_overview():
    """Each witness submitted to, for the ledger page: its name, how far it cosigned, and
    whether (and since when) it has stopped answering."""
    rows = []
    for status in WitnessStatus.objects.all():
        rows.append({
            "name": status.witness.split("+", 1)[0],
            "key": status.witness,
            "url": status.url,
            "size": status.size,
            "last_success_at": status.last_success_at,
            "last_attempt_at": status.last_attempt_at,
            "failures": status.failures,
            "silent": status.failures >= SILENT_AFTER,
            "last_error": status.last_error,
        })
    return rows


def with_cosignatures(checkpoints):
    """The checkpoints with their cosignatures fetched (`cp.cosignatures.all`), for a page."""
    from django.db.models import prefetch_related_objects

    checkpoints = list(checkpoints)
    prefetch_related_objects(checkpoints, "cosignatures")
    return checkpoints
