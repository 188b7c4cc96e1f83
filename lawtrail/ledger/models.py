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
