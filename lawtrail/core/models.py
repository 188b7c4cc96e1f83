from functools import cache

from django.db import models
from django.utils.encoding import force_str


@cache
def _labels(field):
    return dict(field.flatchoices)


class ChoiceLabels:
    """get_FOO_display() from each field's labels gathered once per process, where Django's
    own gathers them again on every call (a row of the case table asks four times). For
    models whose choice fields hold plain values (text, numbers) and whose choices never
    change at run time."""

    def _get_FIELD_display(self, field):
        value = getattr(self, field.attname)
        return force_str(_labels(field).get(value, value), strings_only=True)


class Counter(models.Model):
    """The last number issued in a numbering series (案号, 文号), by key.

    Incremented in the same transaction as the write that uses the number, so a
    failed write rolls its number back: numbers stay unique and gap-free.
    """

    key = models.CharField(max_length=120, unique=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self):
        return f"{self.key}={self.last}"
