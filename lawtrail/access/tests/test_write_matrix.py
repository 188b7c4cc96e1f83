"""The permission matrix for writes: every write endpoint of the API, by role, department,
agency, handling and confidentiality. Each request is made with a payload that an allowed
user would send and is rolled back afterwards, so every actor meets the same state.

"denied" is 403 or 404 (404: the object does not exist for this user); anything else
(2xx, or 409/422 for a step the case's state refuses) means the policy let the user through.
A write endpoint missing from WRITES fails the test: a new one must be classified here."""

import base64
import datetime

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone

from lawtrail.access.services import grant_request
from lawtrail.access.tests.test_matrix import actors
from lawtrail.api import api
from lawtrail.archive.services import hold_place, provision_request
from lawtrail.cases.enums import Confidentiality
from lawtrail.media.services import describe, recording_ingest
from lawtrail.org.enums import Role
from lawtrail.records.services import record_create
from lawtrail.samples import make_audio, png_bytes
from lawtrail.testing import PASSWORD, Org, person_party, resident_id, sign_in

pytestmark = pytest.mark.django_db

HANDLING = {"handling officer"}
HEAD = {"head"}
TEAM = HANDLING | HEAD
WRITERS = TEAM | {"officer, same department", "reviewer"}
SEERS = WRITERS | {"archivist", "supervisor"}
AGENCY = SEERS | {"officer, other department"}
ARCHIVIST = {"archivist"}
HOLDERS = {"archivist", "head", "supervisor"}
PROVIDERS = TEAM | {"officer, same department", "archivist", "supervisor"}
OFFICERS_AND_HEADS = {"handling officer", "officer, same department", "officer, other department", "head"}


def writes(w):
    """(method, path as in the OpenAPI schema, url, payload, allowed on an open case,
    whether the case's confidentiality narrows it to those who see the case[, the statuses
    that count as a refusal when not 403 and 404])."""
    case, o = w["case"].pk, w
    return [
        ("post", "/api/cases", "/api/cases", {
            "department_id": o["org"].department.pk, "title": "矩阵新案", "matter_type": "penalty",
            "source": "ex_officio", "start_reason": "检查发现", "officer_certs": [o["org"].officers[0].cert_no],
            "parties": []}, OFFICERS_AND_HEADS, False, {403, 404, 422}),  # another agency's 科室 "不存在"
        ("post", "/api/cases/{case_id}/parties", f"/api/cases/{case}/parties", person_party("矩阵当事人"), TEAM, True),
        ("post", "/api/cases/{case_id}/officers", f"/api/cases/{case}/officers",
         {"cert_no": o["org"].officers[2].cert_no}, TEAM, True),
        ("post", "/api/cases/{case_id}/transitions", f"/api/cases/{case}/transitions",
         {"name": "approve_start", "reason": "同意立案"}, HEAD, True),
        ("post", "/api/cases/{case_id}/gaps", f"/api/cases/{case}/gaps",
         {"before_id": o["recordings"][0].pk, "after_id": o["recordings"][1].pk, "reason_kind": "spoken",
          "reason": "设备故障"}, WRITERS, True),
        ("post", "/api/cases/{case_id}/recordings/{recording_id}/play",
         f"/api/cases/{case}/recordings/{o['recordings'][0].pk}/play", None, SEERS, True),
        ("post", "/api/cases/{case_id}/records", f"/api/cases/{case}/records", {"doc_type": "inquiry_record"},
         WRITERS, True),
        ("put", "/api/cases/{case_id}/records/{record_id}", f"/api/cases/{case}/records/{o['draft'].pk}",
         {"data": {"interviewee": "矩阵"}}, WRITERS, True),
        ("post", "/api/cases/{case_id}/records/{record_id}/sign", f"/api/cases/{case}/records/{o['draft'].pk}/sign",
         {"slot": "officers", "method": "handwritten", "officer_cert": o["org"].officers[0].cert_no,
          "password": PASSWORD,  # the officer proves himself on the writer's device
          "image_base64": base64.b64encode(png_bytes()).decode()}, WRITERS, True),
        # A party's refusal is recorded on a handling officer's device, who witnesses it.
        ("post", "/api/cases/{case_id}/records/{record_id}/refuse",
         f"/api/cases/{case}/records/{o['draft'].pk}/refuse",
         {"slot": "party", "signer_name": "矩阵当事人", "reason": "拒绝签字", "witness_name": "见证人"},
         HANDLING, True),
        ("post", "/api/cases/{case_id}/records/{record_id}/finalise",
         f"/api/cases/{case}/records/{o['draft'].pk}/finalise", None, WRITERS, True),
        ("post", "/api/cases/{case_id}/records/{record_id}/correct",
         f"/api/cases/{case}/records/{o['final'].pk}/correct", {"reason": "笔误"}, WRITERS, True),
        ("post", "/api/cases/{case_id}/records/{record_id}/attachments",
         f"/api/cases/{case}/records/{o['draft'].pk}/attachments", "multipart", WRITERS, True),
        ("post", "/api/cases/{case_id}/case-file", f"/api/cases/{case}/case-file", {"notes": ""}, ARCHIVIST, True),
        ("post", "/api/cases/{case_id}/holds", f"/api/cases/{case}/holds",
         {"kind": "litigation", "reason": "行政诉讼"}, HOLDERS, True),
        ("post", "/api/cases/{case_id}/holds/{hold_id}/release",
         f"/api/cases/{case}/holds/{o['hold'].pk}/release", {"reason": "诉讼终结"}, HOLDERS, True),
        ("post", "/api/cases/{case_id}/retention-marks", f"/api/cases/{case}/retention-marks",
         {"circumstance": "obstruction", "reason": "当事人阻碍执法"},
         {"handling officer", "officer, same department", "head", "archivist", "supervisor"}, True),
        ("post", "/api/cases/{case_id}/disposals", f"/api/cases/{case}/disposals",
         {"reason": "保存期满", "recording_id": o["recordings"][0].pk}, ARCHIVIST, True),
        ("post", "/api/cases/{case_id}/provisions", f"/api/cases/{case}/provisions",
         {"purpose": "litigation", "recipient": "某区人民法院", "reason": "行政诉讼举证"}, PROVIDERS, True),
        ("post", "/api/cases/{case_id}/provisions/{provision_id}/decide",
         f"/api/cases/{case}/provisions/{o['provision'].pk}/decide", {"approve": True, "reason": "同意"}, HEAD, True),
        ("post", "/api/cases/{case_id}/provisions/{provision_id}/deliver",
         f"/api/cases/{case}/provisions/{o['provision'].pk}/deliver", {"received_by": "法院书记员"},
         HOLDERS, True),
        ("post", "/api/grants", "/api/grants", {"case_no": o["case"].case_no, "kind": "view", "reason": "复核"},
         AGENCY, False),
        ("post", "/api/grants/{grant_id}/decide", f"/api/grants/{o['grant'].pk}/decide",
         {"approve": True, "reason": "同意", "days": 3}, HEAD, False),
    ]


# Write endpoints that are not about a case, with the test that covers them.
ELSEWHERE = {
    ("post", "/api/tokens"): "lawtrail/org/tests/test_tokens.py",
    ("post", "/api/tokens/{token_id}/revoke"): "lawtrail/org/tests/test_tokens.py",
    ("post", "/api/disposals/{request_id}/decide"): "lawtrail/archive/tests/test_disposal.py (needs an expired item)",
}


def world(level, tmp_path):
    """One agency's case at this level with what the writes act on: two recordings of a
    hearing (a gap between them), a final and a draft record, a hold, a provision request
    and a grant request; and a second agency."""
    org, other = Org("w"), Org("wo")
    case = org.open_case(title=f"写入矩阵{level.label}案", confidentiality=level)
    lead = org.officer_users[0]
    start = timezone.now() - datetime.timedelta(minutes=30)
    recordings = []
    for n in range(2):
        path = make_audio(tmp_path / f"听证{n}.m4a", seconds=1)
        description = describe(lead, {"case_no": case.case_no, "officer_cert": org.officers[0].cert_no,
                                      "activity": "hearing",
                                      "recorded_at": (start + datetime.timedelta(minutes=5 * n)).isoformat()})
        recordings.append(recording_ingest(actor=lead, path=path, description=description, filename=path.name)[0])
    return {
        "org": org, "other": other, "case": case, "recordings": recordings,
        "final": org.final_record(case, "filing_approval"),
        "draft": record_create(actor=lead, case=case, doc_type_code="inquiry_record",
                               data={"interviewee": "张三", "interviewee_id": resident_id()}),
        "hold": hold_place(actor=org.head, case=case, kind="review", reason="行政复议"),
        "provision": provision_request(actor=org.head, case=case, purpose="review", recipient="复议机关",
                                       reason="复议举证"),
        "grant": grant_request(actor=org.users[Role.SUPERVISOR], case=case, kind="copy", reason="检查"),
    }


def call(client, method, url, payload, form=False):
    if form and payload != "multipart":
        return client.post(url, payload)
    if payload == "multipart":
        from django.core.files.uploadedfile import SimpleUploadedFile

        return client.post(url, {"file": SimpleUploadedFile("签字页.png", png_bytes(), "image/png"),
                                 "description": "签字页"})
    if payload is None:
        return getattr(client, method)(url)
    return getattr(client, method)(url, payload, content_type="application/json")


def test_every_write_endpoint_is_in_the_matrix():
    paths = {(method, path) for path, ops in api.get_openapi_schema()["paths"].items()
             for method in ops if method in ("post", "put", "patch", "delete")}
    w = {"case": _Stub(), "org": _Stub(), "recordings": [_Stub(), _Stub()], "draft": _Stub(), "final": _Stub(),
         "hold": _Stub(), "provision": _Stub(), "grant": _Stub()}
    listed = {(method, path) for method, path, *_ in writes(w)}
    assert paths - listed - set(ELSEWHERE) == set(), "classify each new write endpoint in WRITES"
    assert listed <= paths and set(ELSEWHERE) <= paths


class _Stub:
    pk = 1
    case_no = "x"
    cert_no = "x"

    def __getattr__(self, name):
        return _Stub()

    def __getitem__(self, key):
        return _Stub()

    def __call__(self, *args, **kwargs):
        return _Stub()


LEVELS = [Confidentiality.INTERNAL, Confidentiality.STATE_SECRET]


@pytest.mark.parametrize("level", LEVELS, ids=[level.value for level in LEVELS])
def test_the_write_matrix(level, tmp_path):
    w = world(level, tmp_path)
    people = actors(w["org"], w["other"])
    confidential = level != Confidentiality.INTERNAL
    wrong = []
    for method, path, url, payload, allowed, case_bound, *refusals in writes(w):
        refused = refusals[0] if refusals else {403, 404}
        if confidential and case_bound:
            allowed = allowed & TEAM  # nobody else sees the case, and a grant never writes
        for name, user in people.items():
            client = sign_in(Client(), user)
            with transaction.atomic():
                response = call(client, method, url, payload)
                transaction.set_rollback(True)
            denied = response.status_code in refused
            if denied == (name in allowed) or response.status_code >= 500:
                detail = response.json().get("detail") if response["Content-Type"].startswith(
                    "application/json") and isinstance(response.json(), dict) else response.content[:120]
                wrong.append(f"{method.upper()} {path} as {name}: {response.status_code} {detail}")
    assert wrong == []


# --- the web forms ----------------------------------------------------------------------------
# A form answers a refused write with a message and a redirect, so for forms the matrix asks
# what happened: did the request write (a ledger entry other than a read, or a checkpoint)?
# Nobody outside the allowed set may write, those who may not see the case get a 404, and an
# allowed user's valid post writes (or, marked `False`, is refused only by the case's state).

GET_ONLY = {"home", "login", "logout", "two_factor", "two_factor_setup", "case_list", "case_detail", "record_pdf",
            "record_attachment", "recording_detail", "recording_download", "case_archive", "case_file_pdf",
            "package_download", "provision_copy", "archive", "supervision", "dashboard", "report_export",
            "draw_detail", "ledger_export", "devices", "device_detail", "grants", "audit", "ledger", "regulations",
            "regulation", "regulation_articles", "two_factor_accounts",
            "record_preview", "blank_forms", "blank_form",  # 预览打印 and 空白文书 (web/tests/test_record_views.py)
            "verify", "verify_form",  # 扫码验真: public, read-only (lawtrail/web/tests/test_verify.py)
            "ledger_tile",  # supervisors' and admins' read-only tiles (lawtrail/ledger/tests/test_tiles.py)
            "favicon", "manifest", "service_worker",  # the installable app (lawtrail/web/tests/test_pwa.py)
            "record_receipt"}  # the party's 回执 of a finalised record (lawtrail/web/tests/test_receipt.py)
FORMS_ELSEWHERE = {
    "case_create": "lawtrail/web/tests/test_views.py (the same case_open as POST /api/cases above)",
    "disposal_decide": "lawtrail/web/tests/test_archive_views.py (needs an expired item)",
    "tokens": "lawtrail/web/tests/test_token_views.py (a user makes his own token: no case, no other user)",
    "token_revoke": "lawtrail/web/tests/test_token_views.py",
    "two_factor_code_issue": "lawtrail/org/tests/test_two_factor.py",
    "two_factor_reset": "lawtrail/org/tests/test_two_factor.py",
    "login_again": "lawtrail/web/tests/test_session_views.py (signing in again in place: the sign-in page's rules)",
    "record_sign_captured": "lawtrail/web/tests/test_offline_sign.py (a capture, not a form: other agency, "
                            "roles, colleagues)",
}
SUPERVISORS = {"head", "supervisor"}


def forms(w):
    """(url name, url, payload, allowed, scope, an allowed post writes). Scope: "case" (a page of
    the case: 404 for whoever may not see it), "drawn" (an item the checker must be able to
    see), "object" (another object of the first agency) or "agency" (made in the user's own
    agency, so the head of another agency does it in his)."""
    from django.urls import reverse

    case, draft, ready, final = w["case"].pk, w["draft"].pk, w["ready"].pk, w["final"].pk
    org = w["org"]
    image = "data:image/png;base64," + base64.b64encode(png_bytes()).decode()
    today = timezone.localdate()
    today, yesterday = today.isoformat(), (today - datetime.timedelta(days=1)).isoformat()

    def archive(action):
        return reverse("web:case_archive_action", args=[case, action])

    return [
        ("case_step", reverse("web:case_step", args=[case, "approve_start"]), {"reason": "同意立案"}, HEAD, "case", True),
        ("record_create", reverse("web:record_create", args=[case]), {"doc_type": "inquiry_record"}, WRITERS, "case",
         True),
        ("record_detail", reverse("web:record_detail", args=[case, draft]), {"interviewee": "矩阵"}, WRITERS, "case",
         True),
        ("record_sign", reverse("web:record_sign", args=[case, draft, "officers"]),
         {"method": "handwritten", "officer": org.officers[0].pk, "password": PASSWORD, "image_data": image}, WRITERS,
         "case", True),
        ("record_refuse", reverse("web:record_refuse", args=[case, draft, "party"]),
         {"signer_name": "张三", "reason": "拒绝签字", "witness_name": "李四"}, HANDLING, "case", True),
        ("record_finalise", reverse("web:record_finalise", args=[case, ready]), {}, WRITERS, "case", True),
        ("record_correct", reverse("web:record_correct", args=[case, final]), {"reason": "笔误"}, WRITERS, "case", True),
        ("record_attach", reverse("web:record_attach", args=[case, draft]), "multipart", WRITERS, "case", True),
        ("recording_explanation", reverse("web:recording_explanation", args=[case, w["recordings"][0].pk]), {},
         WRITERS, "case", True),
        ("gap_explain", reverse("web:gap_explain", args=[case]),
         {"before": w["recordings"][0].pk, "after": w["recordings"][1].pk, "reason_kind": "spoken",
          "reason": "设备故障"}, WRITERS, "case", True),
        ("case_archive_action", archive("hold"), {"kind": "litigation", "reason": "行政诉讼"}, HOLDERS, "case", True),
        ("case_archive_action", archive("release"), {"hold": w["hold"].pk, "reason": "诉讼终结"}, HOLDERS, "case", True),
        ("case_archive_action", archive("mark"), {"circumstance": "obstruction", "reason": "阻碍执法"},
         {"handling officer", "officer, same department", "head", "archivist", "supervisor"}, "case", True),
        ("case_archive_action", archive("dispose"), {"reason": "期满", "recording": w["recordings"][0].pk}, ARCHIVIST,
         "case", False),
        ("case_archive_action", archive("assemble"), {"notes": ""}, ARCHIVIST, "case", False),
        ("case_archive_action", archive("provide"),
         {"purpose": "litigation", "recipient": "某区人民法院", "reason": "举证"}, PROVIDERS, "case", True),
        ("case_archive_action", archive("provision_decide"),
         {"provision": w["provision"].pk, "approve": "1", "reason": "同意"}, HEAD, "case", True),
        ("case_archive_action", archive("deliver"), {"provision": w["provision"].pk, "received_by": "书记员"},
         HOLDERS, "case", False),
        ("case_archive_action", archive("party_request"), {"party": w["case"].parties.get().pk}, ARCHIVIST | HEAD,
         "case", False),
        ("case_archive_action", archive("party_request_decide"), {"request": 0}, ARCHIVIST | HEAD, "case", False),
        ("item_confidentiality", reverse("web:item_confidentiality", args=[case]),
         {"level": "privacy", "reason": "涉及隐私", "record": final}, TEAM, "case", True),
        ("grant_request", reverse("web:grant_request"), {"case_no": w["case"].case_no, "kind": "view", "reason": "复核"},
         AGENCY, "object", True),
        ("grant_decide", reverse("web:grant_decide", args=[w["grant"].pk]), {"approve": "1", "reason": "同意", "days": 3},
         HEAD, "object", True),
        ("draw_create", reverse("web:draw_create"), {"size": 3, "period_from": yesterday, "period_to": today},
         SUPERVISORS, "agency", True),  # (the recordings made just before midnight count after it)
        ("check_create", reverse("web:check_create", args=[w["draw"].pk]),
         {"recording": w["recordings"][0].pk, "opening": "pass", "continuous": "pass", "conduct": "pass",
          "documents": "pass"}, SUPERVISORS, "drawn", True),
        ("action_create", reverse("web:action_create"), {"kind": "criticism", "description": "通报批评"},
         SUPERVISORS, "agency", True),
        ("action_close", reverse("web:action_close", args=[w["action"].pk]), {"closure": "已整改"}, SUPERVISORS,
         "object", True),
        ("device_create", reverse("web:device_create"),
         {"device_no": "DSJ-M1", "model": "X1", "department": org.department.pk}, SUPERVISORS, "object", True),
        ("device_event", reverse("web:device_event", args=[w["device"].pk]),
         {"kind": "checkout", "officer": org.officers[0].pk}, SUPERVISORS, "object", True),
        ("ledger_sign", reverse("web:ledger_sign"), {}, {"supervisor", "admin"}, "agency", True),
    ]


def web_world(level, tmp_path):
    from lawtrail.records.catalog import doc_type
    from lawtrail.records.models import Record
    from lawtrail.supervision.services import corrective_action_order, device_register, sample_draw
    from lawtrail.testing import complete_data, sign_all

    w = world(level, tmp_path)
    org = w["org"]
    lead = org.officer_users[0]
    ready = record_create(actor=lead, case=w["case"], doc_type_code="inquiry_record",
                          data=complete_data(doc_type("inquiry_record")))
    sign_all(org, ready)
    today = timezone.localdate()
    return {**w, "ready": Record.objects.get(pk=ready.pk),
            "draw": sample_draw(actor=org.head, period_from=today - datetime.timedelta(days=1), period_to=today,
                                size=5),
            "action": corrective_action_order(actor=org.head, kind="criticism", description="通报"),
            "device": device_register(actor=org.head, department=org.department, device_no="DSJ-W1", model="X1")}


def writes_so_far():
    from lawtrail.ledger.access_log import ACCESS_ACTIONS_REGEX
    from lawtrail.ledger.models import Checkpoint, Entry, PendingEntry

    return (Entry.objects.exclude(action__regex=ACCESS_ACTIONS_REGEX).exclude(action__startswith="access.").count()
            + PendingEntry.objects.exclude(action__regex=ACCESS_ACTIONS_REGEX)
            .exclude(action__startswith="access.").count() + Checkpoint.objects.count())


def test_every_web_form_is_in_the_matrix():
    from lawtrail.web import urls

    names = {p.name for p in urls.urlpatterns}
    w = {"case": _Stub(), "org": _Stub(), "recordings": [_Stub(), _Stub()], "draft": _Stub(), "final": _Stub(),
         "ready": _Stub(), "hold": _Stub(), "provision": _Stub(), "grant": _Stub(), "draw": _Stub(),
         "action": _Stub(), "device": _Stub()}
    listed = {name for name, *_ in forms(w)}
    assert names - GET_ONLY - listed - set(FORMS_ELSEWHERE) == set(), "classify each new page or form here"


@pytest.mark.parametrize("level", LEVELS, ids=[level.value for level in LEVELS])
def test_the_web_form_matrix(level, tmp_path):
    w = web_world(level, tmp_path)
    people = actors(w["org"], w["other"])
    confidential = level != Confidentiality.INTERNAL
    wrong = []
    sees = SEERS - ({"officer, same department", "reviewer", "archivist", "supervisor"} if confidential else set())
    for name, url, payload, allowed, scope, allowed_writes in forms(w):
        if confidential and scope in ("case", "drawn"):
            allowed = allowed & TEAM
        # In the user's own agency: the other agency's head may do there what the head does here.
        may = allowed | {"head of another agency"} if scope == "agency" and "head" in allowed else allowed
        for who, user in people.items():
            client = sign_in(Client(), user)
            with transaction.atomic():
                before = writes_so_far()
                response = call(client, "post", url, payload, form=True)
                wrote = writes_so_far() > before
                transaction.set_rollback(True)
            problem = None
            if response.status_code >= 500:
                problem = "server error"
            elif wrote and who not in may:
                problem = "wrote without the right"
            elif who in allowed and allowed_writes and not wrote:
                problem = "allowed but nothing written"
            elif scope == "case" and who not in sees and response.status_code != 404:
                problem = "should not find the case"
            if problem:
                wrong.append(f"{name} {url} as {who}: {problem} ({response.status_code})")
    assert wrong == [], "\n".join(wrong)
