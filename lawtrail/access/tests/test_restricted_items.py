"""Items marked more confidential than their case leave no trace for those who may see the
case but not them: the trail, proofs, the case-file catalog, the archive and device pages
and the access log show such an entry as 受限条目 with its number and hash only."""

import base64
import json
from urllib.parse import quote

import pytest
from django.test import Client

from lawtrail.access.services import item_confidentiality_set
from lawtrail.archive.services import casefile_assemble
from lawtrail.cases.enums import Confidentiality
from lawtrail.ledger.models import Entry
from lawtrail.ledger.services import ledger_checkpoint
from lawtrail.org.enums import Role
from lawtrail.supervision.services import device_register
from lawtrail.supervision.tests.test_supervision import record as make_recording
from lawtrail.testing import sign_in

SECRET_REASON = "涉及国家秘密的侦查线索"
TRADE_REASON = "含企业配方的商业秘密"
FILENAME = "配方车间现场.m4a"


@pytest.fixture
def marked(org, tmp_path):
    device_register(actor=org.head, department=org.department, device_no="DSJ-001", model="执法记录仪 X1")
    case = org.open_case()
    secret = org.final_record(case, "filing_approval")
    recording = make_recording(org, case, tmp_path, FILENAME)
    org.final_record(case, "closing_report")
    item_confidentiality_set(actor=org.head, case=case, level=Confidentiality.STATE_SECRET, reason=SECRET_REASON,
                             record=secret)
    item_confidentiality_set(actor=org.head, case=case, level=Confidentiality.COMMERCIAL, reason=TRADE_REASON,
                             recording=recording)
    sign_in(Client(), org.head).get(f"/cases/{case.pk}/records/{secret.pk}/")  # the head reads it: an entry
    org.conclude(case)
    casefile_assemble(actor=org.users[Role.ARCHIVIST], case=case)
    return case, secret, recording


def text_of(response):
    """A page's text, or a JSON answer's with its Chinese unescaped (so a name in it is found)."""
    if response["Content-Type"].startswith("application/json"):
        return json.dumps(response.json(), ensure_ascii=False)
    return response.content.decode()


def leaks(text, secret):
    return [word for word in (secret.number, FILENAME, SECRET_REASON, TRADE_REASON) if word and word in text]


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.ARCHIVIST, Role.REVIEWER])
def test_pages_name_no_hidden_item(org, marked, role):
    case, secret, recording = marked
    web = sign_in(Client(), org.users[role])
    for url in (f"/cases/{case.pk}/", f"/cases/{case.pk}/archive/", f"/api/cases/{case.pk}/ledger",
                f"/api/cases/{case.pk}/case-file", f"/api/cases/{case.pk}/records", f"/api/cases/{case.pk}/recordings"):
        response = web.get(url)
        assert response.status_code == 200, url
        assert leaks(text_of(response), secret) == [], url
    page = web.get(f"/cases/{case.pk}/").content.decode()
    assert "受限条目" in page
    trail = web.get(f"/api/cases/{case.pk}/ledger").json()
    restricted = [e for e in trail if e["restricted"]]
    assert restricted and all(e["reason"] == "" and e["object_id"] == "" and e["entry_hash"] for e in restricted)
    catalog = web.get(f"/api/cases/{case.pk}/case-file").json()["catalog"]
    assert [item.get("restricted", False) for item in catalog].count(True) == 1


def test_the_head_sees_every_item_and_its_entries(org, marked):
    case, secret, recording = marked
    web = sign_in(Client(), org.head)
    assert "受限条目" not in web.get(f"/cases/{case.pk}/").content.decode()
    assert SECRET_REASON in text_of(web.get(f"/api/cases/{case.pk}/ledger"))
    assert FILENAME in web.get(f"/cases/{case.pk}/archive/").content.decode()


def test_a_proof_of_a_hidden_items_entry_proves_without_telling(org, marked):
    case, secret, recording = marked
    mark = Entry.objects.filter(scope=case.scope, reason__contains=SECRET_REASON).get()
    ledger_checkpoint()
    supervisor = sign_in(Client(), org.users[Role.SUPERVISOR])
    proof = supervisor.get(f"/api/ledger/proof/{mark.seq}").json()
    assert proof["entry_data"] is None and proof["restricted"] == "受限条目"
    assert proof["entry_hash"] == mark.entry_hash and proof["inclusion_path"]
    full = sign_in(Client(), org.head).get(f"/api/ledger/proof/{mark.seq}").json()
    assert SECRET_REASON in base64.b64decode(full["entry_data"]).decode()
    assert full["leaf_hash"] == proof["leaf_hash"] and full["root_hash"] == proof["root_hash"]


def test_the_device_page_lists_no_hidden_recording(org, marked):
    from lawtrail.supervision.models import Device

    device = Device.objects.get(device_no="DSJ-001")
    assert FILENAME not in sign_in(Client(), org.users[Role.SUPERVISOR]).get(f"/devices/{device.pk}/").content.decode()
    assert FILENAME in sign_in(Client(), org.head).get(f"/devices/{device.pk}/").content.decode()


def test_the_access_log_shows_a_hidden_items_views_as_restricted(org, marked):
    case, secret, recording = marked
    supervisor = sign_in(Client(), org.users[Role.SUPERVISOR])
    for query in ({}, {"kind": "record", "object_id": secret.pk}, {"username": org.head.username},
                  {"kind": "record", "object_id": secret.pk, "format": "csv"}):
        response = supervisor.get("/audit/", query)
        assert response.status_code == 200
        text = response.content.decode()
        assert leaks(text, secret) == [] and f"records.record:{secret.pk}" not in text, query
    assert "受限条目" in supervisor.get("/audit/", {"kind": "record", "object_id": secret.pk}).content.decode()


# --- supervision and worklists: everything counted, nothing named --------------------------

SECRET_FILE = "涉密现场.m4a"


@pytest.fixture
def secret_case(org, tmp_path):
    case = org.open_case(title="国家秘密的案件", confidentiality=Confidentiality.STATE_SECRET)
    return case, make_recording(org, case, tmp_path, SECRET_FILE)


def test_a_draw_holds_confidential_recordings_but_shows_them_only_to_who_may_see_them(org, secret_case):
    import datetime

    from django.utils import timezone

    from lawtrail.supervision.models import PlaybackCheck
    from lawtrail.supervision.services import sample_draw

    case, recording = secret_case
    today = timezone.localdate()
    supervisor = org.users[Role.SUPERVISOR]
    draw = sample_draw(actor=supervisor, period_from=today - datetime.timedelta(days=1), period_to=today, size=5)
    assert draw.recording_ids == [recording.pk]  # the supervisor's own draw does not skip it
    web = sign_in(Client(), supervisor)
    page = web.get(f"/supervision/draws/{draw.pk}/").content.decode()
    assert SECRET_FILE not in page and "国家秘密的案件" not in page
    assert "受限条目" in page and f"case_no={quote(case.case_no)}&amp;kind=view" in page  # ask for a grant
    answers = {"opening": "pass", "continuous": "pass", "conduct": "pass", "documents": "pass"}
    response = web.post(f"/supervision/draws/{draw.pk}/checks/", {"recording": recording.pk, **answers}, follow=True)
    assert "须先申请调阅许可" in response.content.decode() and not PlaybackCheck.objects.exists()
    # the head sees and checks it; the supervisor's ledger and exports then count it, name nothing
    head = sign_in(Client(), org.head)
    head.post(f"/supervision/draws/{draw.pk}/checks/", {"recording": recording.pk, **answers, "opening": "fail",
                                                       "findings": f"{SECRET_FILE} 未作语音说明"})
    assert PlaybackCheck.objects.count() == 1
    page = web.get("/supervision/").content.decode()
    assert SECRET_FILE not in page and "受限条目" in page
    workbook = web.get("/supervision/ledger.xlsx").content
    import io

    from openpyxl import load_workbook

    cells = [str(c.value) for row in load_workbook(io.BytesIO(workbook)).active.iter_rows() for c in row if c.value]
    assert "受限条目" in cells and not [c for c in cells if SECRET_FILE in c or "未作语音说明" in c]
    assert SECRET_FILE in head.get("/supervision/").content.decode()


def test_the_archivists_worklist_shows_a_confidential_case_as_a_restricted_row(org):
    case = org.open_case(title="涉及个人隐私的案件", confidentiality=Confidentiality.PRIVACY)
    org.final_record(case, "closing_report")
    org.conclude(case)
    page = sign_in(Client(), org.users[Role.ARCHIVIST]).get("/archive/").content.decode()
    waiting = page[page.index('id="waiting"'):page.index('id="disposals"')]
    assert "待归档案件（1）" in waiting and case.case_no in waiting and "需调阅许可" in waiting
    assert "涉及个人隐私的案件" not in waiting and f"/cases/{case.pk}/archive/" not in waiting


def test_the_supervisors_figures_count_every_case_of_the_agency(org, secret_case):
    from django.utils import timezone

    from lawtrail.supervision.statistics import Filters, report

    org.open_case(title="普通案件")
    today = timezone.localdate()
    figures = report(org.users[Role.SUPERVISOR], Filters(today, today))
    assert figures["cases"] == 2 and figures["recordings"] == 1
    page = sign_in(Client(), org.users[Role.SUPERVISOR]).get("/supervision/dashboard/").content.decode()
    assert "国家秘密的案件" not in page and SECRET_FILE not in page
