"""The web UI through Django's test client: pages, forms, errors and isolation."""

import datetime

import pytest
from django.test import Client
from django.utils import timezone
from django.urls import reverse

from lawtrail.cases import selectors
from lawtrail.cases.enums import Stage
from lawtrail.cases.models import Case
from lawtrail.ledger.models import Checkpoint
from lawtrail.org.enums import Role
from lawtrail.org.services import user_create
from lawtrail.testing import PASSWORD, resident_id, sign_in


def client_for(user):
    client = Client()
    sign_in(client, user)
    return client


def test_pages_need_a_login(db):
    response = Client().get(reverse("web:case_list"))
    assert response.status_code == 302 and reverse("web:login") in response["Location"]


def test_login_with_the_right_password_lands_on_the_home_page(org):
    client = Client()
    response = client.post(reverse("web:login"), {"username": org.officer_users[0].username, "password": PASSWORD})
    assert response.status_code == 302
    assert "工作台" in client.get(reverse("web:home")).content.decode()


def test_a_wrong_password_says_so_in_chinese(org):
    response = Client().post(reverse("web:login"), {"username": org.head.username, "password": "wrong"})
    assert "用户名或密码不正确" in response.content.decode()


def test_the_heads_home_lists_cases_waiting_for_approval(org):
    case = org.open_case(title="待批准的案件")
    page = client_for(org.head).get(reverse("web:home")).content.decode()
    assert "待我审批" in page and case.case_no in page


def test_the_officers_home_lists_their_cases(org):
    case = org.open_case(title="我的案件")
    page = client_for(org.officer_users[0]).get(reverse("web:home")).content.decode()
    assert "我承办的案件" in page and case.case_no in page


def test_case_list_searches_and_filters(org):
    wanted = org.open_case(title="非法采伐林木案")
    other = org.open_case(title="未按规定公示信息案")
    client = client_for(org.head)
    page = client.get(reverse("web:case_list"), {"q": "采伐"}).content.decode()
    assert wanted.case_no in page and other.case_no not in page
    page = client.get(reverse("web:case_list"), {"q": wanted.parties.get().name, "stage": Stage.DECISION}).content.decode()
    assert wanted.case_no not in page and "暂无案件" in page


def test_case_list_never_shows_another_agencys_cases(org, other_org):
    theirs = other_org.open_case(title="他局案件")
    page = client_for(org.head).get(reverse("web:case_list")).content.decode()
    assert theirs.case_no not in page and "他局案件" not in page


def test_another_agencys_case_page_is_404(org, other_org):
    theirs = other_org.open_case()
    assert client_for(org.head).get(reverse("web:case_detail", args=[theirs.pk])).status_code == 404


def test_case_page_shows_timeline_trail_and_the_steps_offered(org):
    case = org.open_case()
    page = client_for(org.head).get(reverse("web:case_detail", args=[case.pk])).content.decode()
    for text in ("程序启动", "调查取证", "审查决定", "送达执行", "已归档", "账本留痕", "登记了案件", "批准立案"):
        assert text in page


def test_a_step_from_the_page_moves_the_case(org):
    case = org.open_case()
    client = client_for(org.head)
    refused = client.post(reverse("web:case_step", args=[case.pk, "approve_start"]), {"reason": "同意立案"},
                          follow=True).content.decode()
    assert "立案前须制作立案（程序启动）审批表" in refused and Case.objects.get(pk=case.pk).stage == Stage.INITIATION
    org.ready_for(case, "approve_start")
    response = client.post(reverse("web:case_step", args=[case.pk, "approve_start"]), {"reason": "同意立案"},
                           follow=True)
    assert "已办理：批准立案" in response.content.decode()
    assert Case.objects.get(pk=case.pk).stage == Stage.INVESTIGATION


def test_a_refused_step_shows_why_and_changes_nothing(org):
    case = org.open_case()
    response = client_for(org.head).post(reverse("web:case_step", args=[case.pk, "approve_start"]), {"reason": ""},
                                         follow=True)
    assert "请填写负责人意见" in response.content.decode()
    assert Case.objects.get(pk=case.pk).stage == Stage.INITIATION


def form_data(org, **overrides):
    return {
        "title": "擅自经营案", "department": org.department.pk, "matter_type": "penalty", "source": "ex_officio",
        "procedure": "general", "confidentiality": "internal", "start_reason": "巡查发现",
        "lead_officer": org.officers[0].pk, "assist_officers": [org.officers[1].pk],
        "party_kind": "person", "party_name": "张某", "party_id_type": "resident_id",
        "party_id_number": resident_id(), **overrides,
    }


def test_an_officer_registers_a_case_from_the_form(org):
    response = client_for(org.officer_users[0]).post(reverse("web:case_create"), form_data(org), follow=True)
    case = Case.objects.get(title="擅自经营案")
    assert f"案件已登记，案号 {case.case_no}" in response.content.decode()
    assert case.assignments.count() == 2 and case.parties.get().name == "张某"


def test_a_bad_form_keeps_what_was_typed_and_says_what_is_wrong(org):
    response = client_for(org.officer_users[0]).post(
        reverse("web:case_create"), form_data(org, party_id_number="110105000000000000"))
    page = response.content.decode()
    assert "居民身份证号码" in page and "无效" in page
    assert 'value="擅自经营案"' in page
    assert not Case.objects.filter(title="擅自经营案").exists()


def test_archivists_cannot_register_cases(org):
    response = client_for(org.users[Role.ARCHIVIST]).get(reverse("web:case_create"), follow=True)
    assert "只有执法人员或负责人可以登记案件" in response.content.decode()


def test_a_supervisor_signs_a_checkpoint_and_an_officer_cannot(org):
    client_for(org.officer_users[0]).post(reverse("web:ledger_sign"))
    assert Checkpoint.objects.count() == 0
    response = client_for(org.users[Role.SUPERVISOR]).post(reverse("web:ledger_sign"), follow=True)
    assert "已签发检查点" in response.content.decode()
    assert Checkpoint.objects.count() == 1


@pytest.mark.parametrize("name", ["web:home", "web:case_list", "web:ledger"])
def test_the_admin_sees_no_records(org, name):
    admin = user_create(actor=None, username="root-admin", password=PASSWORD, full_name="管理员", role=Role.ADMIN)
    org.open_case(title="机密案由")
    assert "机密案由" not in client_for(admin).get(reverse(name)).content.decode()


def test_the_form_offers_only_officers_who_may_act_today(org):
    lapsed = org.officer("证件过期者", valid_until=timezone.localdate() - datetime.timedelta(days=1))
    page = client_for(org.officer_users[0]).get(reverse("web:case_create")).content.decode()
    assert org.officers[0].name in page and lapsed.name not in page


def test_a_guessed_huge_id_is_a_404_not_a_crash(org):
    client = client_for(org.head)
    assert client.get("/cases/99999999999999999999999999/").status_code == 404
    assert client.get("/cases/1/records/99999999999999999999999999/").status_code == 404


def test_repeated_wrong_passwords_lock_the_account_and_every_attempt_is_recorded(org):
    from lawtrail.ledger.models import Entry

    client = Client()
    for _ in range(5):
        response = client.post(reverse("web:login"), {"username": org.head.username, "password": "wrong"})
    assert Entry.objects.filter(action="user.login_failed", reason__contains=org.head.username).count() == 5
    response = client.post(reverse("web:login"), {"username": org.head.username, "password": PASSWORD})
    assert response.status_code == 429 and "账号已暂时锁定" in response.content.decode()
    assert "15分后再试" in response.content.decode()
    other = Client().post(reverse("web:login"), {"username": org.officer_users[0].username, "password": PASSWORD})
    assert other.status_code == 302  # only that account is locked
    assert Entry.objects.filter(action="user.login", object_id=str(org.officer_users[0].pk)).exists()


def test_times_in_tables_are_written_to_the_minute_in_the_servers_time_zone():
    from lawtrail.web.templatetags.lawtrail_format import minute

    utc = datetime.datetime(2026, 11, 23, 16, 30, 59, tzinfo=datetime.timezone.utc)
    assert minute(utc) == "2026-11-24 00:30"  # Asia/Shanghai, as the date filter writes it
    assert minute(datetime.datetime(2026, 1, 2, 3, 4)) == "2026-01-02 03:04"
    assert minute(None) == "" and minute("") == ""


def test_pages_carry_a_content_security_policy(org):
    response = client_for(org.head).get(reverse("web:home"))
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy and "unsafe-eval" not in policy


def test_requests_renew_the_session_at_most_once_a_minute_and_an_idle_one_ends(org, settings):
    from django.contrib.sessions.models import Session

    assert settings.SESSION_COOKIE_AGE == 30 * 60 and settings.LAWTRAIL_SESSION_RENEW_SECONDS == 60
    client = client_for(org.officer_users[0])
    stored = Session.objects.filter(session_key=client.session.session_key)
    client.get(reverse("web:case_list"))  # the first request renews
    renewed = stored.get().expire_date
    assert timezone.now() + datetime.timedelta(minutes=29) < renewed <= timezone.now() + datetime.timedelta(minutes=30)
    client.get(reverse("web:case_list"))
    assert stored.get().expire_date == renewed  # within the minute: no write
    settings.LAWTRAIL_SESSION_RENEW_SECONDS = 0  # as if the minute had passed
    client.get(reverse("web:case_list"))
    assert stored.get().expire_date > renewed
    stored.update(expire_date=timezone.now() - datetime.timedelta(seconds=1))  # 30 minutes idle
    response = client.get(reverse("web:case_list"))
    assert response.status_code == 302 and reverse("web:login") in response["Location"]


def test_a_visitor_without_a_sign_in_gets_no_stored_session(db):
    from django.contrib.sessions.models import Session

    client = Client()
    client.cookies["sessionid"] = "stale0000000000000000000000000000"
    assert client.get(reverse("web:login")).status_code == 200
    assert not Session.objects.exists()


def test_passwords_are_hashed_with_argon2(db, settings):
    from lawtrail.settings import PASSWORD_HASHERS

    settings.PASSWORD_HASHERS = PASSWORD_HASHERS  # the suite itself uses a fast hasher
    user = user_create(actor=None, username="argon.user", password="Strong@Pass-2026", full_name="测试",
                       role=Role.ADMIN, reason="测试")
    assert user.password.startswith("argon2$") and user.check_password("Strong@Pass-2026")


def test_the_home_page_shows_open_violations_across_the_agency(org, django_capture_on_commit_callbacks):
    from lawtrail.cases.services import case_transition

    with django_capture_on_commit_callbacks(execute=True):
        case = org.open_case()
        org.step(case, "approve_start", "同意")  # without the form (past the gate, as old data)
    page = client_for(org.users[Role.SUPERVISOR]).get(reverse("web:home")).content.decode()
    assert "待纠正的违规事项（1）" in page and case.case_no in page and "没有已定稿的立案" in page
    assert "003 第九条" in page


def test_the_home_page_counts_stages_and_lists_emergency_starts_approved_late_or_not_at_all(org):
    from lawtrail.cases.services import case_transition

    def emergency(title, due_hours_from_now, approved=False):
        case = case_transition(actor=org.officer_users[0], case=org.open_case(title=title), name="emergency_start",
                               reason="情况紧急").case
        if approved:
            case_transition(actor=org.head, case=case, name="approve_emergency", reason="同意")
        Case.objects.filter(pk=case.pk).update(approval_due_at=timezone.now() + datetime.timedelta(hours=due_hours_from_now))
        return Case.objects.get(pk=case.pk)

    waiting_late = emergency("逾期未批准", -2)
    approved_late = emergency("批准迟了", -100, approved=True)  # approved now, the deadline long gone
    waiting_in_time = emergency("尚在期限内", 5)
    approved_in_time = emergency("按时批准", 5, approved=True)
    assert [c.emergency_overdue for c in (waiting_late, approved_late, waiting_in_time, approved_in_time)] == [
        True, True, False, False]
    org.open_case(title="普通案件")
    page = client_for(org.head).get(reverse("web:home")).content.decode()
    section = page.split("逾期未补办批准的紧急启动", 1)[1].split("</div>", 1)[0]
    assert section.startswith("（2）")
    assert section.index(approved_late.case_no) < section.index(waiting_late.case_no)  # the earliest deadline first
    assert waiting_in_time.case_no not in section and approved_in_time.case_no not in section
    counts = dict(selectors.stage_counts(selectors.case_list(org.head)))
    assert counts[Stage.INVESTIGATION] == 4 and counts[Stage.INITIATION] == 1 and counts[Stage.ARCHIVED] == 0
    assert '?stage=investigation"><span class="num">4</span>' in page


def test_the_case_pages_trail_lists_changes_not_each_view(org):
    """Every view is a ledger entry; the page lists the changes, so that a case read a
    thousand times does not render a thousand rows. The views are in the access log."""
    from lawtrail.ledger.models import Entry

    case = org.open_case()
    client = client_for(org.head)
    for _ in range(3):
        page = client.get(reverse("web:case_detail", args=[case.pk])).content.decode()
    trail = page.split('data-testid="trail"', 1)[1].split("</table>", 1)[0]
    assert f"{org.officer_users[0].display_name}</td><td>登记了案件" in trail and "查看了案件" not in trail
    assert Entry.objects.filter(scope=case.scope, action="case.view").count() == 3
    assert f"?kind=case&amp;object_id={case.pk}" in page  # the head is pointed at the access log
    officer_page = client_for(org.officer_users[0]).get(reverse("web:case_detail", args=[case.pk])).content.decode()
    assert "本案调阅记录" not in officer_page


def test_the_case_list_and_page_cost_the_same_queries_however_many_rows(org):
    """No query per row (the list reads its rows' columns in one query, the page each kind
    of item once) and none for the signed-in user's agency (it comes with the user)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(org.officer_users[0])

    def queries(url):
        client.get(url)  # the session's renewal and the list's count are not per page
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return [q["sql"] for q in captured.captured_queries]

    small = org.open_case(officers=2, parties=1)
    org.final_record(small, "filing_approval")  # one item of each kind the trail names
    list_few, page_few = queries(reverse("web:case_list")), queries(reverse("web:case_detail", args=[small.pk]))
    big = org.open_case(officers=3, parties=3)
    for _ in range(4):
        org.open_case()
    org.final_record(big, "filing_approval")
    org.step(big, "approve_start")
    org.final_record(big, "inquiry_record")
    assert len(queries(reverse("web:case_list"))) == len(list_few)
    assert len(queries(reverse("web:case_detail", args=[big.pk]))) == len(page_few)
    assert not any(sql.startswith('SELECT "org_agency"') for sql in list_few + page_few)


def test_the_case_page_reads_the_case_and_what_its_trail_names_once(org, tmp_path):
    """The trail and the team's change history name the case, its officers, parties,
    recordings and records: the page has read them already and does not read them again,
    nor the case's entries twice, nor whole user rows (password hashes) for the names."""
    import re

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    case = org.open_case(officers=2, parties=2)
    org.final_record(case, "filing_approval")
    from lawtrail.media.tests.test_recordings import CST, segments

    segments(org, case, tmp_path, "site_inspection", [datetime.datetime(2026, 11, 20, 9, 0, tzinfo=CST)], seconds=1)
    client = client_for(org.officer_users[0])
    client.get(reverse("web:case_detail", args=[case.pk]))
    with CaptureQueriesContext(connection) as captured:
        page = client.get(reverse("web:case_detail", args=[case.pk])).content.decode()
    tables = [re.search(r'FROM "(\w+)"', q["sql"]).group(1) for q in captured.captured_queries
              if q["sql"].startswith("SELECT") and 'FROM "' in q["sql"]]
    for table in ("cases_case", "cases_caseofficer", "cases_party", "media_recording", "supervision_device"):
        assert tables.count(table) == 1, (table, tables)
    assert tables.count("records_record") == 2  # the checklist's facts, the table's rows
    entry_reads = [q["sql"] for q in captured.captured_queries if 'FROM "ledger_entry" WHERE' in q["sql"]]
    assert len(entry_reads) == 1, entry_reads
    user_reads = [q["sql"] for q in captured.captured_queries[2:] if 'FROM "org_user"' in q["sql"]]
    assert user_reads and not any('"password"' in sql for sql in user_reads)
    trail = page.split('data-testid="trail"', 1)[1].split("</table>", 1)[0]
    assert case.case_no in trail and "《" in trail
    record, recording = case.records.get(), case.recordings.get()
    assert page.count(f'href="{reverse("web:record_detail", args=[case.pk, record.pk])}"') == 1
    assert f' {reverse("web:record_detail", args=[case.pk, record.pk])}"' in page  # kept offline with the case
    assert page.count(f'href="{reverse("web:recording_detail", args=[case.pk, recording.pk])}"') == 2  # row, time line
    history = page.split("承办人和当事人变更记录", 1)[1].split("</details>", 1)[0]
    for party in case.parties.all():
        assert party.name in history
    assert f"{org.officer_users[0].display_name}</td>" in history


def test_the_case_list_counts_what_the_user_sees_and_new_cases_at_once(org):
    client = client_for(org.officer_users[0])
    org.open_case()
    assert "共 1 件" in client.get(reverse("web:case_list")).content.decode()
    org.open_case()
    assert "共 2 件" in client.get(reverse("web:case_list")).content.decode()
    assert "共 0 件" in client.get(reverse("web:case_list"), {"q": "不存在的案件名"}).content.decode()
