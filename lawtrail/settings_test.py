"""Settings for the test suite: a throwaway LAWTRAIL_HOME and a fast password hasher."""

import os
import tempfile

os.environ.setdefault("LAWTRAIL_HOME", tempfile.mkdtemp(prefix="lawtrail-test-"))
# Each pytest-xdist worker its own home below it: the workers inherit the controller's
# environment, and a test that deletes a stored file or replaces a key must not take it from
# under another worker's test.
if os.environ.get("PYTEST_XDIST_WORKER"):
    _home = os.path.join(os.environ["LAWTRAIL_HOME"], os.environ["PYTEST_XDIST_WORKER"])
    if not os.environ["LAWTRAIL_HOME"].endswith(os.sep + os.environ["PYTEST_XDIST_WORKER"]):
        os.makedirs(_home, exist_ok=True)
        os.environ["LAWTRAIL_HOME"] = _home
os.environ.setdefault("LAWTRAIL_ALLOW_FLUSH", "true")

from lawtrail.settings import *  # noqa: E402,F401,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Jobs run as soon as they are enqueued (after the commit that enqueues them); the test of
# the database queue switches back to the real backend and runs a worker.
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

# Appends in place, so that a test reads its entries inside its own transaction; the
# batched chain has its own tests (lawtrail/ledger/tests/test_batch.py) and the fault test.
LAWTRAIL_LEDGER_BATCH = False
