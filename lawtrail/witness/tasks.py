"""Checkpoints by themselves: `lawtrail serve` runs `checkpoint_pass` every
LAWTRAIL_CHECKPOINT_POLL_SECONDS in a process of its own (`lawtrail witness submit --loop`).
A pass signs a checkpoint when enough entries or enough time went by, then submits the
newest checkpoint to every witness that has not cosigned it yet: a witness that did not
answer is simply tried again on the next pass."""

import datetime
import logging
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

from lawtrail.ledger.models import Cosignature
from lawtrail.ledger.selectors import entry_count, latest_checkpoint
from lawtrail.ledger.services import ledger_checkpoint
from lawtrail.witness.client import configured_witnesses, submit

logger = logging.getLogger(__name__)


@dataclass
class Pass:
    checkpoint: object = None
    signed: bool = False
    cosigned: list = field(default_factory=list)  # URLs of the witnesses that cosigned now
    silent: list = field(default_factory=list)  # URLs of those that did not


def checkpoint_due(now=None):
    latest, size = latest_checkpoint(), entry_count()
    if size == 0 or (latest is not None and latest.tree_size >= size):
        return False
    if latest is None or size - latest.tree_size >= settings.LAWTRAIL_CHECKPOINT_EVERY_ENTRIES:
        return True
    age = (now or timezone.now()) - latest.signed_at
    return age >= datetime.timedelta(minutes=settings.LAWTRAIL_CHECKPOINT_EVERY_MINUTES)


def checkpoint_pass(now=None) -> Pass:
    result = Pass()
    if checkpoint_due(now):
        result.checkpoint, result.signed = ledger_checkpoint(), True
    else:
        result.checkpoint = latest_checkpoint()
    if result.checkpoint is None:
        return result
    result.cosigned, result.silent = submit_to_witnesses(result.checkpoint)
    return result


def checkpoint_now():
    """Sign a checkpoint now (the page's button, `lawtrail ledger checkpoint`) and submit it."""
    cp = ledger_checkpoint()
    submit_to_witnesses(cp)
    return cp


def submit_to_witnesses(cp):
    """Submit `cp` to every witness that has not cosigned it; (cosigned, silent) URLs."""
    done = set(Cosignature.objects.filter(checkpoint=cp).values_list("witness", flat=True))
    cosigned, silent = [], []
    for witness in configured_witnesses():
        if witness.verifier.text() in done:
            continue
        (cosigned if submit(cp, witness) is not None else silent).append(witness.url)
    return cosigned, silent


def checkpoint_loop(stop=lambda: False):
    while not stop():
        try:
            checkpoint_pass()
        except Exception:
            logger.exception("checkpoint pass failed; trying again")
        close_old_connections()
        time.sleep(settings.LAWTRAIL_CHECKPOINT_POLL_SECONDS)
