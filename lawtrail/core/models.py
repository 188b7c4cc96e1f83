from django.db import models


class Counter(models.Model):
    """The last number issued in a numbering series (案号, 文号), by key.

    Incremented in the same transaction as the write that uses the number, so a
    failed write rolls its number back: numbers stay unique and gap-free.
    """

    key = models.CharField(max_length=120, unique=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self):
        return f"{self.key}={self.last}"
