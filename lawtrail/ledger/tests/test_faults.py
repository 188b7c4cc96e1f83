"""Writers killed with SIGKILL in the middle of ledger appends: after the crash the chain
has no gap and verifies, every write that committed has its entry and no entry names a
write that did not commit; the writers that come back go on appending to the same chain.

The writers run as separate processes on their own database: a fresh SQLite home, or on
the PostgreSQL pass a fresh database on the same server, where entries are batched
(LAWTRAIL_LEDGER_BATCH): a writer killed between its commit and its flush leaves pending
entries, which the next flush chains."""

import json
import os
import signal
import subprocess
import sys
import time
import uuid

import pytest
from django.db import connection

SETUP = r"""
import os, json
os.environ["DJANGO_SETTINGS_MODULE"] = "lawtrail.settings"
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from lawtrail.testing import Org
org = Org("crash", profile="000")
print(json.dumps({"officer": org.officer_users[0].username}))
"""

# One writer: opens cases (each a transaction of several ledgered writes) as fast as it can.
WRITER = r"""
import os, sys
os.environ["DJANGO_SETTINGS_MODULE"] = "lawtrail.settings"
import django
django.setup()
from django.db import OperationalError
from lawtrail.cases.enums import MatterType, Source
from lawtrail.cases.enums import OfficerRole
from lawtrail.cases.services import case_open
from lawtrail.org.models import User
from lawtrail.testing import person_party
user = User.objects.get(username=sys.argv[1])
officers = list(user.officer.department.officers.order_by("pk")[:2])
team = [(officers[0], OfficerRole.LEAD), (officers[1], OfficerRole.ASSIST)]
print("ready", flush=True)
while True:
    try:
        case_open(actor=user, department=user.officer.department, officers=team, parties=[person_party()],
                  title="涉嫌违法经营案", matter_type=MatterType.PENALTY, source=Source.EX_OFFICIO,
                  start_reason="检查中发现违法线索")
    except OperationalError:  # SQLite: another writer holds the lock; try again
        pass
"""

CHECK = r"""
import os, json
os.environ["DJANGO_SETTINGS_MODULE"] = "lawtrail.settings"
import django
django.setup()
from lawtrail.cases.models import Case
from lawtrail.archive.integrity import verify_ledger
from lawtrail.ledger.chain import ledger_flush
from lawtrail.ledger.models import Entry
ledger_flush()  # what the writers committed but did not chain before they died (PostgreSQL)
seqs = list(Entry.objects.order_by("seq").values_list("seq", flat=True))
opened = set(Entry.objects.filter(action="case.open").values_list("object_id", flat=True))
cases = {str(pk) for pk in Case.objects.values_list("pk", flat=True)}
report = verify_ledger()
print(json.dumps({"entries": len(seqs), "gapless": seqs == list(range(1, len(seqs) + 1)),
                  "cases": len(cases), "cases_match": opened == cases, "ok": report.ok,
                  "problems": [p.message for p in report.problems[:3]]}))
"""


def _run(env, code, *args):
    out = subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def _writers(env, officer, count):
    processes = [subprocess.Popen([sys.executable, "-c", WRITER, officer], env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL, text=True, start_new_session=True)
                 for _ in range(count)]
    for process in processes:
        assert process.stdout.readline().strip() == "ready"
    return processes


def _entries(env):
    return _run(env, CHECK)["entries"]


def _kill(processes):
    for process in processes:
        os.killpg(process.pid, signal.SIGKILL)
    for process in processes:
        process.wait()


@pytest.fixture
def writer_env(tmp_path):
    """The environment of the writer processes: their own home and their own database."""
    env = {**os.environ, "LAWTRAIL_HOME": str(tmp_path / "home"), "DJANGO_SETTINGS_MODULE": "lawtrail.settings"}
    env.pop("LAWTRAIL_STORAGE", None)
    if connection.vendor != "postgresql":
        env.pop("DATABASE_URL", None)
        yield env
        return
    import psycopg

    settings = connection.settings_dict
    name = f"lawtrail_crash_{uuid.uuid4().hex[:10]}"
    server = dict(host=settings["HOST"] or "127.0.0.1", port=settings["PORT"] or 5432, user=settings["USER"],
                  dbname="postgres", autocommit=True)
    with psycopg.connect(**server) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    env["DATABASE_URL"] = f"postgres://{settings['USER']}@{server['host']}:{server['port']}/{name}"
    try:
        yield env
    finally:
        with psycopg.connect(**server) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_sigkill_during_ledger_appends_leaves_no_gap(writer_env):
    officer = _run(writer_env, SETUP)["officer"]
    before = _entries(writer_env)
    writers = _writers(writer_env, officer, 4)
    deadline = time.monotonic() + 120
    while _entries(writer_env) < before + 200 and time.monotonic() < deadline:
        time.sleep(0.3)
    _kill(writers)  # SIGKILL, in the middle of whatever each was appending

    after_crash = _run(writer_env, CHECK)
    assert after_crash["entries"] >= before + 200, after_crash
    assert after_crash["gapless"] and after_crash["ok"], after_crash
    assert after_crash["cases_match"], after_crash  # every committed case has its entry, and only those

    writers = _writers(writer_env, officer, 2)  # the writers come back and append to the same chain
    while _entries(writer_env) < after_crash["entries"] + 50 and time.monotonic() < deadline + 60:
        time.sleep(0.3)
    _kill(writers)
    final = _run(writer_env, CHECK)
    assert final["entries"] >= after_crash["entries"] + 50
    assert final["gapless"] and final["ok"] and final["cases_match"], final
