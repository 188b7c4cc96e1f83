"""Witnesses for the tests: real HTTP servers on free ports, each with its own directory."""

import threading
from contextlib import contextmanager

from lawtrail.witness.client import log_verifier
from lawtrail.witness.server import witness_server
from lawtrail.witness.service import witness_init


class RunningWitness:
    def __init__(self, directory, name):
        self.witness = witness_init(directory, name, [log_verifier().text()])
        self.server = None
        self.port = None
        self.start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    @property
    def config(self):
        """Its entry in LAWTRAIL_WITNESSES."""
        return f"{self.url} {self.witness.verifier.text()}"

    def start(self):
        self.server = witness_server(self.witness, port=self.port or 0)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@contextmanager
def running_witnesses(tmp_path, settings, count=2):
    """`count` witnesses, configured as the system's (LAWTRAIL_WITNESSES)."""
    witnesses = [RunningWitness(tmp_path / f"w{i}", f"witness.test/w{i}") for i in range(1, count + 1)]
    settings.LAWTRAIL_WITNESSES = [w.config for w in witnesses]
    try:
        yield witnesses
    finally:
        for w in witnesses:
            if w.server is not None:
                w.stop()
