"""The batched chain's mover in each process (PostgreSQL, LAWTRAIL_LEDGER_BATCH).

A writer commits its entry as a pending row and goes on; this thread then chains what
was committed (`ledger_flush(wait=False)`) on its own connection, once for every commit
made while it waited LAWTRAIL_LEDGER_CHAIN_DELAY seconds, and again a moment later while
another process holds the chain (one round trip a try, no more). The writer no longer spends
its own round trips on the chain lock after every commit (the database round trips,
not the chaining, were the cost of a ledger-backed write), and a busy process chains
the commits of many requests in one pass.

An entry is in the chain a moment after its commit: whatever needs every entry chained
(verify, checkpoints, backups, exports) calls `ledger_flush()` first, as before. A
process killed before its thread ran leaves its entries pending, committed and durable,
for the next flush anywhere."""

import atexit
import logging
import os
import threading
import time

from django.conf import settings
from django.db import connection

from lawtrail.ledger.chain import ledger_flush, vacuum_pending

logger = logging.getLogger(__name__)
RETRY_SECONDS = 1.0
VACUUM_EVERY = 1000  # entries this process chains between its vacuums of the queue (as migration 0005)


class Chainer:
    def __init__(self, flush, vacuum=vacuum_pending):
        self._flush, self._vacuum = flush, vacuum
        self._reset()
        os.register_at_fork(after_in_child=self._reset)  # a forked worker starts its own thread

    def _reset(self):
        self._cond = threading.Condition()
        self._asked = self._done = self._since_vacuum = 0
        self._thread = None
        self._stopping = False

    def poke(self):
        """A commit left entries pending: chain them soon, in this process's thread."""
        with self._cond:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="lawtrail-chainer", daemon=True)
                self._thread.start()
            self._asked += 1
            self._cond.notify_all()

    def settle(self, timeout=10.0):
        """Wait until a pass has run since every poke so far; False if `timeout` ran out
        first (the database refusing, say)."""
        with self._cond:
            target = self._asked
            return self._cond.wait_for(lambda: self._done >= target, timeout)

    def stop(self, timeout=10.0):
        """Settle, then end the thread and close its connection (tests, and the process's
        exit); the next poke starts a new one."""
        settled = self.settle(timeout)
        with self._cond:
            thread, self._stopping = self._thread, True
            self._cond.notify_all()
        if thread is not None:
            thread.join(timeout)
        with self._cond:
            self._thread, self._stopping = None, False
        return settled

    def _run(self):
        try:
            while True:
                with self._cond:
                    self._cond.wait_for(lambda: self._asked > self._done or self._stopping)
                    if self._stopping and self._asked <= self._done:
                        return
                time.sleep(settings.LAWTRAIL_LEDGER_CHAIN_DELAY)  # the next moment's commits come along
                with self._cond:
                    target = self._asked
                try:
                    chained = self._flush(wait=False)
                    if chained is None:
                        continue  # the chain was busy: another try a moment later
                except Exception:  # committed and pending: the next pass (or anyone's flush) chains them
                    logger.exception("could not chain the pending ledger entries; retrying")
                    connection.close()  # should it be broken, the next pass opens another
                    time.sleep(RETRY_SECONDS)
                    continue
                with self._cond:
                    self._done = max(self._done, target)
                    self._cond.notify_all()
                self._since_vacuum += chained
                if self._since_vacuum >= VACUUM_EVERY:  # after telling the waiters: none waits for it
                    self._since_vacuum = 0
                    try:
                        self._vacuum()
                    except Exception:  # the queue stays as it is until the next try
                        logger.exception("could not vacuum the ledger's queue of pending entries")
        finally:
            connection.close()


def _make():
    chainer = Chainer(ledger_flush)
    atexit.register(chainer.stop)  # a command that wrote entries chains them before it exits
    return chainer


_chainer = None
_chainer_lock = threading.Lock()


def chainer():
    global _chainer
    if _chainer is not None:  # (after every commit with entries: no lock once made)
        return _chainer
    with _chainer_lock:
        if _chainer is None:
            _chainer = _make()
        return _chainer
