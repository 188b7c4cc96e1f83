"""LawTrail's settings plus django-pghistory and the peer's model (bench/ledger.py only)."""

from lawtrail.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "pgtrigger", "pghistory", "pghistory_peer"]  # noqa: F405
