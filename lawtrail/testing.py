"""Factories for tests: real objects made through the real services."""

import contextlib
import datetime
import itertools
import os
from pathlib import Path

from django.db import connection
from django.utils import timezone
from stdnum.cn import ric

from lawtrail.cases.enums import IdType, MatterType, OfficerRole, PartyKind, Source
from lawtrail.cases.services import case_open
from lawtrail.core.db import install_append_only, remove_append_only
from lawtrail.org.enums import DepartmentKind, Role
from lawtrail.org.services import agency_create, department_create, officer_create, user_create
from lawtrail.samples import png_bytes

PASSWORD = "Test@2026-pass"
# The RFC 9162 / C2SP Merkle test vectors, shipped with their licences in the ledger's test data.
MERKLE_VECTORS = Path(__file__).resolve().parent / "ledger" / "tests" / "data" / "merkle"
_serial = itertools.count(1)


def resident_id(serial=None):
    base = f"21020319900101{(serial or next(_serial)) % 1000:03d}"
    return base + ric.calc_check_digit(base + "0")


def person_party(name="张三", **overrides):
    return {"kind": PartyKind.PERSON, "name": name, "id_type": IdType.RESIDENT_ID,
            "id_number": resident_id(), "address": "大连市西岗区", **overrides}


class Org:
    """One agency with a department, three qualified officers and a user per role."""

    def __init__(self, code="t1", profile="003"):
        n = next(_serial)
        self.agency = agency_create(actor=None, code=f"{code}{n}", name=f"测试执法局{code}{n}",
                                    short_name="测试局", profile=profile, case_prefix=f"测{code}{n}")
        self.department = department_create(actor=None, agency=self.agency, name="执法队", kind=DepartmentKind.TEAM)
        self.legal = department_create(actor=None, agency=self.agency, name="法规科", kind=DepartmentKind.LEGAL)
        self.users = {}
        for role in (Role.HEAD, Role.REVIEWER, Role.ARCHIVIST, Role.SUPERVISOR):
            self.users[role] = self.user(role)
        self.officers = [self.officer(f"officer{i}") for i in range(3)]
        self.officer_users = [o.user for o in self.officers]

    def user(self, role, username=None, department=None):
        username = username or f"{self.agency.code}.{role}.{next(_serial)}"
        return user_create(actor=None, username=username, password=PASSWORD, full_name=username, role=role,
                           agency=self.agency, department=department or self.department)

    def officer(self, name, *, valid_until=None, qualified=True, with_user=True):
        today = timezone.localdate()
        user = self.user(Role.OFFICER) if with_user else None
        return officer_create(
            actor=None, department=self.department, name=name, user=user,
            cert_no=f"{self.agency.code}-{next(_serial):06d}", qualified=qualified,
            cert_valid_from=today - datetime.timedelta(days=365),
            cert_valid_until=valid_until or today + datetime.timedelta(days=365),
        )

    @property
    def head(self):
        return self.users[Role.HEAD]

    def open_case(self, *, officers=2, parties=1, actor=None, **fields):
        team = [(o, OfficerRole.LEAD if i == 0 else OfficerRole.ASSIST)
                for i, o in enumerate(self.officers[:officers])]
        defaults = dict(title="涉嫌违法经营案", matter_type=MatterType.PENALTY, source=Source.EX_OFFICIO,
                        start_reason="检查中发现违法线索")
        return case_open(actor=actor or self.officer_users[0], department=self.department, officers=team,
                         parties=[person_party() for _ in range(parties)], **{**defaults, **fields})

    def final_record(self, case, code, **data):
        """A finalised record of that type, filled in and signed by the right people."""
        from lawtrail.records.catalog import doc_type
        from lawtrail.records.services import record_create, record_finalise

        record = record_create(actor=self.officer_users[0], case=case, doc_type_code=code,
                               data={**complete_data(doc_type(code)), **data})
        sign_all(self, record)
        return record_finalise(actor=self.officer_users[0], record=record)

    # The documents each gated step needs on file, made as the right people make them.
    GATE_DOCUMENTS = {"approve_start": ("filing_approval",), "submit_review": ("inquiry_record",),
                      "decide": ("rights_notice", "head_approval", "decision"), "conclude": ("closing_report",),
                      "simple_decide": ("simple_procedure_record",)}

    def ready_for(self, case, name):
        """Finalise the documents the gated step `name` needs and the case lacks."""
        held = set(case.records.filter(status="final").values_list("doc_type", flat=True))
        for code in self.GATE_DOCUMENTS.get(name, ()):
            if code not in held and not (code == "rights_notice" and case.matter_type != "penalty"):
                self.final_record(case, code)
        return case

    def step(self, case, name, reason="依法办理", *, gated=False):
        """Take a workflow step as the right person would. Unless `gated`, the regulation's
        gates (documents on file, the profile's rules) are left out: most tests make a
        history, and the rules must catch one that lacks a document (as data from an older
        system may); the gates have tests of their own (cases/tests/test_gates.py)."""
        from lawtrail.cases.services import _transition

        actor = step_actor(self, name)
        _transition(actor=actor, case=case, name=name, reason=reason, data=None, gated=gated)
        case.refresh_from_db()
        return case

    def conclude(self, case):
        """Carry a general-procedure case from its start to 待归档."""
        for name in ("approve_start", "submit_review", "decide", "conclude"):
            self.step(case, name)
        return case

    def archive(self, case, notes=""):
        """Assemble the case file and accept it into the archive (the case must be 待归档
        and have at least one finalised record)."""
        from lawtrail.archive.services import casefile_assemble

        casefile_assemble(actor=self.users[Role.ARCHIVIST], case=case, notes=notes)
        return self.step(case, "archive")


def behind_the_ledger(sql, params=(), tables=("ledger_entry",)):
    """Run raw SQL with the append-only triggers lifted: how an attacker with database
    access would tamper. Only tests use this, to prove `lawtrail verify` catches it."""
    for table in tables:
        remove_append_only(table)
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
    finally:
        for table in tables:
            install_append_only(table)


def sample_value(field):
    """A valid value of a catalog field, for filling complete documents in tests."""
    today = timezone.localdate()
    return {
        "string": f"{field.label}示例",
        "text": f"{field.label}：经查明的具体情况。",
        "date": today.isoformat(),
        "datetime": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "int": 2,
        "bool": True,
        "choice": field.options[0] if field.options else "",
        "multichoice": list(field.options),
        "table": [[f"{column}一" for column in field.columns]],
    }[field.type]


def complete_data(spec):
    return {f.key: sample_value(f) for f in spec.fields}


def step_actor(org, name):
    """Who takes a workflow step in the tests."""
    return (org.head if name in ("approve_start", "decide", "approve_emergency", "mark_major", "explain_problems")
            else org.users[Role.REVIEWER] if name in ("legal_review", "return_investigation")
            else org.users[Role.ARCHIVIST] if name == "archive" else org.officer_users[0])


def sign_all(org, record, skip_slot=None):
    """Give every signature the record's type needs, each by the person it names, signed in
    himself (parties and witnesses on the lead officer's device)."""
    from lawtrail.records.catalog import doc_type
    from lawtrail.records.services import record_sign

    officers = [a.officer for a in record.case.team()]
    for signer in doc_type(record.doc_type).signers:
        if signer.slot == skip_slot or signer.min == 0:
            continue
        for i in range(max(signer.min, 1)):
            kwargs = dict(actor=officers[0].user, record=record, slot=signer.slot, method="handwritten",
                          image=png_bytes())
            if signer.kind == "officer":
                kwargs.update(actor=officers[i].user, officer=officers[i])
            elif signer.kind == "head":
                kwargs["actor"] = org.head
            elif signer.kind == "reviewer":
                kwargs["actor"] = org.users[Role.REVIEWER]
            else:
                kwargs["signer_name"] = f"{signer.label}{i + 1}"
            record_sign(**kwargs)


@contextlib.contextmanager
def seaweedfs(directory, bucket="lawtrail-test"):
    """A real S3 server for the tests: SeaweedFS `weed mini` on 127.0.0.1:8333 with one
    identity, and a bucket. Yields the LAWTRAIL_STORAGE URL to use. Under pytest-xdist each
    worker's server listens 100 ports higher than the one before (gw1 on 8433, ...)."""
    import json
    import os
    import shutil
    import signal
    import socket
    import subprocess
    import sys
    import time
    from pathlib import Path

    import boto3

    weed = shutil.which("weed") or str(Path(sys.executable).parent / "weed")
    directory = Path(directory)
    (directory / "data").mkdir(parents=True, exist_ok=True)
    config = directory / "s3.json"
    config.write_text(json.dumps({"identities": [{
        "name": "lawtrail", "credentials": [{"accessKey": "lawtrail", "secretKey": "lawtrail-secret"}],
        "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}))
    offset = 100 * int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
    s3_port = 8333 + offset
    ports = [f"-s3.port={s3_port}", f"-master.port={9333 + offset}", f"-volume.port={9340 + offset}",
             f"-filer.port={8888 + offset}", f"-admin.port={23646 + offset}", f"-webdav.port={7333 + offset}",
             "-s3.port.iceberg=0", "-s3.port.lance=0"]
    env = {"AWS_ACCESS_KEY_ID": "lawtrail", "AWS_SECRET_ACCESS_KEY": "lawtrail-secret",
           "AWS_ENDPOINT_URL": f"http://127.0.0.1:{s3_port}", "AWS_DEFAULT_REGION": "us-east-1"}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    log = open(directory / "weed.log", "w")
    process = subprocess.Popen([weed, "mini", f"-dir={directory / 'data'}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
                                f"-s3.config={config}", *ports], stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True)
    try:
        client = boto3.client("s3", endpoint_url=env["AWS_ENDPOINT_URL"])
        deadline = time.monotonic() + 120  # a loaded 2-core machine starts it slowly
        while True:
            try:
                with socket.create_connection(("127.0.0.1", s3_port), timeout=1):
                    pass
                client.create_bucket(Bucket=bucket)
                break
            except Exception:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError(f"SeaweedFS did not start; see {directory / 'weed.log'}")
                time.sleep(0.5)
        yield f"s3://{bucket}/blobs"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        log.close()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def replace_blob(sha256, content):
    """Overwrite (or with None, delete) a stored file behind the system's back, on whatever
    store is configured: how a tests proves that `lawtrail verify` notices."""
    from lawtrail.blobs import blob_store
    from lawtrail.blobs.local import LocalBlobStore

    store = blob_store()
    if isinstance(store, LocalBlobStore):
        path = store.path(sha256)
        if path.exists():
            path.chmod(0o644)
        if content is None:
            path.unlink()
        else:
            path.write_bytes(content)
    elif content is None:
        store.client.delete_object(Bucket=store.bucket, Key=store.key(sha256))
    else:
        store.client.put_object(Bucket=store.bucket, Key=store.key(sha256), Body=content)


def totp_device(user):
    """The user's confirmed authenticator (the tests' stand-in for a phone app), set up once
    as a user does it: with an enrolment code from the admin and a first code from the app."""
    from lawtrail.org.services import (
        two_factor_begin, two_factor_confirm, two_factor_device, two_factor_enrolment_check,
        two_factor_enrolment_issue,
    )

    device = two_factor_device(user)
    if device is None:
        enrolment = two_factor_enrolment_check(actor=user, code=two_factor_enrolment_issue(actor=None, user=user))
        device = two_factor_begin(actor=user, enrolment=enrolment)
        two_factor_confirm(actor=user, enrolment=enrolment, device=device, token=totp_code(device))
    return device


def totp_code(device):
    """The code the authenticator app would show now. A code is accepted once per 30-second
    step; tests that sign in twice within one step are let into the next one, as if they
    had waited."""
    from django_otp.oath import totp

    type(device).objects.filter(pk=device.pk).update(last_t=-1)
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):0{device.digits}d}"


def sign_in(client, user):
    """Log a test client in as `user`, with the second factor verified where the role needs one."""
    from django_otp import DEVICE_ID_SESSION_KEY

    from lawtrail.org.enums import needs_two_factor

    client.force_login(user)
    if needs_two_factor(user):
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = totp_device(user).persistent_id
        session.save()
    return client
