from django.db import models

from lawtrail.core.db import append_only


@append_only
class Entry(models.Model):
    """One ledger entry. Append-only: the database refuses UPDATE and DELETE.

    The hashed form of an entry is `canonical()`: `entry_hash` is its SHA-256 and
    the Merkle leaf is SHA-256(0x00 || canonical()).
    """

    seq = models.BigIntegerField(primary_key=True)
    time = models.DateTimeField()
    actor = models.CharField(max_length=150)
    actor_id = models.BigIntegerField(null=True, blank=True)
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    object_hash = models.CharField(max_length=64, blank=True)
    # Two indexes and their trail of writes on every append, left out: (scope, seq) below
    # serves every look-up by scope, and nothing looks an entry up by its hash, which the
    # chain itself makes unique (verify checks every one).
    scope = models.CharField(max_length=80, blank=True)
    reason = models.TextField(blank=True)
    prev_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64)

    class Meta:
        db_table = "ledger_entry"
        ordering = ["seq"]
        indexes = [
            models.Index(fields=["object_type", "object_id"]),
            models.Index(fields=["scope", "seq"], name="ledger_entry_scope"),  # a case's trail, its access log
        ]

    def __str__(self):
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"


class PendingEntry(models.Model):
    """An entry written with its change but not yet in the chain (PostgreSQL with
    LAWTRAIL_LEDGER_BATCH): committed in the writer's own transaction, without waiting for
    the chain, then moved into it in order, in batches, by its process's chainer a moment
    after the commit (or by whoever flushes next, should the process die in between)."""

    time = models.DateTimeField()
    actor = models.CharField(max_length=150)
    actor_id = models.BigIntegerField(null=True, blank=True)
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    object_hash = models.CharField(max_length=64, blank=True)
    scope = models.CharField(max_length=80, blank=True)
    reason = models.TextField(blank=True)

    class Meta:
        db_table = "ledger_pending"
        ordering = ["id"]


@append_only
class Checkpoint(models.Model):
    """A signed tree head: tree size and Merkle root, signed with the ledger key."""

    tree_size = models.BigIntegerField()
    root_hash = models.CharField(max_length=64)
    signed_at = models.DateTimeField()
    key_id = models.CharField(max_length=16)
    signature = models.CharField(max_length=128)  # base64 Ed25519 signature of the note body

    class Meta:
        db_table = "ledger_checkpoint"
        ordering = ["id"]

    def __str__(self):
        return f"checkpoint {self.tree_size}"


@append_only
class Cosignature(models.Model):
    """A witness's cosignature of a checkpoint (c2sp.org/tlog-cosignature): the witness
    saw the checkpoint's tree extend every earlier one it cosigned."""

    checkpoint = models.ForeignKey(Checkpoint, on_delete=models.PROTECT, related_name="cosignatures")
    witness = models.CharField(max_length=300)  # the witness's public key (vkey text), its name first
    signed_at = models.DateTimeField()  # the witness's own time stamp, inside what it signed
    line = models.TextField()  # the signature line as the witness returned it

    class Meta:
        db_table = "ledger_cosignature"
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["checkpoint", "witness"], name="ledger_cosignature_once")]


class WitnessStatus(models.Model):
    """How the submissions to one configured witness went: what it last cosigned, and
    since when it has been silent. Operational state, rewritten on every attempt."""

    witness = models.CharField(max_length=300, unique=True)  # its public key (vkey text)
    url = models.CharField(max_length=500)
    size = models.BigIntegerField(default=0)  # the tree size it last cosigned, as it said
    last_attempt_at = models.DateTimeField(null=True)
    last_success_at = models.DateTimeField(null=True)
    failures = models.IntegerField(default=0)  # attempts failed in a row
    last_error = models.TextField(blank=True)

    class Meta:
        db_table = "ledger_witness_status"
        ordering = ["id"]


@append_only(mutable_while="OLD.width < 256")
class Tile(models.Model):
    """Hashes of the Merkle tree as C2SP tlog-tiles lays them out (ledger/tiles.py): tile
    `n` of `level` holds up to 256 consecutive hashes of the tree's level 8 × `level`, from
    the `n * 256`th on, 32 bytes each. Level 0 holds the leaf hashes. A tile grows until it
    is full, and the database refuses to change it after that."""

    level = models.SmallIntegerField()
    n = models.BigIntegerField()
    width = models.SmallIntegerField()
    hashes = models.BinaryField()

    class Meta:
        db_table = "ledger_tile"
        constraints = [models.UniqueConstraint(fields=["level", "n"], name="ledger_tile_level_n")]

    def __str__(self):
        return f"tile {self.level}/{self.n} ({self.width})"
