"""Users read plain Chinese: no action codes, model labels, file URLs or English errors on
the pages they reach; codes and hashes only behind 技术详情, for IT staff and supervisors."""

import re
from urllib.parse import urldefrag, urlparse

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse

from lawtrail.ledger.labels import ACTION_LABELS
from lawtrail.rules.base import RULES
from lawtrail.media.tests.test_recordings import ingest
from lawtrail.org.enums import Role
from lawtrail.samples import make_video
from lawtrail.web import error_views
from lawtrail.web.tests.test_views import client_for

ACTION_CODE = re.compile(r"\b(%s)\b" % "|".join(re.escape(code) for code in ACTION_LABELS))
MODEL_LABEL = re.compile(r"\b(cases|records|media|archive|access|supervision|org|ledger)\.[a-z_]+:\d+")
RULE_ID = re.compile(r"\b(%s)\b" % "|".join(re.escape(r.id) for r in RULES))
ENGLISH_ERROR = re.compile(r"Not Found|Server Error|Forbidden|Traceback|Page not found|does not exist|Bad Request")


def jargon(html):
    """What a non-IT user must never read on a page, found in its visible text."""
    text = re.sub(r"<script.*?</script>|<[^>]+>", " ", html, flags=re.S)
    found = [m.group(0) for pattern in (ACTION_CODE, MODEL_LABEL, RULE_ID, ENGLISH_ERROR) for m in pattern.finditer(text)]
    return found + (["file://"] if "file://" in html else []) + re.findall(r"^HTTP \d+$", html)


def test_the_check_finds_what_it_looks_for():
    assert jargon("<td>case.open</td>") == ["case.open"]
    assert jargon("<td>cases.case:41</td>") == ["cases.case:41"]
    assert jargon("<strong>start.approval</strong>") == ["start.approval"]  # a rule named by its id
    assert jargon('<a href="file:///var/blobs/ab">x</a>') == ["file://"]
    assert jargon("<h1>Not Found</h1>") == ["Not Found"]
    assert jargon("<p>王建军 登记了案件</p><script>a.record.sign()</script>") == []
    assert jargon("HTTP 404") == ["HTTP 404"]  # a link offered that leads nowhere


@pytest.fixture
def video_case(org, tmp_path):
    case = org.open_case()
    recording, _ = ingest(org, case, make_video(tmp_path / "现场.mp4", seconds=1))
    org.final_record(case, "filing_approval")
    return case, recording


def test_the_trail_says_who_did_what_and_hides_the_codes_from_officers(org, video_case):
    case, recording = video_case
    page = client_for(org.officer_users[0]).get(reverse("web:case_detail", args=[case.pk])).content.decode()
    trail = page.split('data-testid="trail"', 1)[1].split("</table>", 1)[0]
    assert f">{org.officer_users[0].display_name}</td><td>登记了案件 {case.case_no}</td>" in trail
    assert "增加当事人 张三" in trail and "定稿《立案审批表" in trail and f"上传音像记录 {recording.filename}" in trail
    assert "技术详情" not in page and "lawtrail ledger proof" not in page and jargon(page) == []


def test_a_step_taken_is_one_line_of_the_trail(org):
    case = org.step(org.open_case(), "approve_start")
    page = client_for(org.officer_users[0]).get(reverse("web:case_detail", args=[case.pk])).content.decode()
    trail = page.split('data-testid="trail"', 1)[1].split("</table>", 1)[0]
    assert f">{org.head.display_name}</td><td>办理“批准立案”</td>" in trail
    assert "更新了案件" not in trail  # the stage it moved to is the same act, not a second line


def test_supervisors_see_the_codes_and_hashes_behind_the_technical_details(org, video_case):
    case, _ = video_case
    page = client_for(org.users[Role.SUPERVISOR]).get(reverse("web:case_detail", args=[case.pk])).content.decode()
    details = page.split('data-testid="technical-details"', 1)[1].split("</details>", 1)[0]
    assert "<summary>技术详情</summary>" in page
    assert "case.open" in details and f"cases.case:{case.pk}" in details and "lawtrail ledger proof" in details


def test_only_it_staff_and_supervisors_have_the_ledger_in_their_menu(org):
    ledger = reverse("web:ledger")
    for role in (Role.OFFICER, Role.HEAD, Role.ARCHIVIST, Role.REVIEWER):
        client = client_for(org.users[role] if role != Role.OFFICER else org.officer_users[0])
        assert f'href="{ledger}"' not in client.get(reverse("web:home")).content.decode()
        page = client.get(ledger).content.decode()  # reachable by its address, in plain words
        assert "RFC 9162" not in page and "Ed25519" not in page and "lawtrail verify" not in page
        assert "账本共" in page
    for user in (org.users[Role.SUPERVISOR], org.user(Role.ADMIN)):
        client = client_for(user)
        assert f'href="{ledger}"' in client.get(reverse("web:home")).content.decode()
        assert "RFC 9162" in client.get(ledger).content.decode()


def test_the_recording_page_gives_the_systems_storage_location_and_the_hash(org, video_case):
    case, recording = video_case
    page = client_for(org.officer_users[0]).get(
        reverse("web:recording_detail", args=[case.pk, recording.pk])).content.decode()
    location = f"执法信息系统 / 音像库 / {case.year} / {case.case_no} / 编号 {recording.pk}"
    assert f'data-testid="storage-location">{location}</dd>' in page and recording.sha256 in page
    assert "file://" not in page


def test_a_missing_page_is_chinese_in_the_sites_layout_with_a_way_back(org, other_org):
    client = client_for(org.officer_users[0])
    response = client.get("/no/such/page/")
    page = response.content.decode()
    assert response.status_code == 404 and "页面不存在" in page and "返回工作台" in page
    assert "执法全过程记录系统" in page and 'class="sidebar"' in page  # the site's layout, its menu
    assert "Not Found" not in page and "The requested resource" not in page
    stranger = other_org.open_case()  # another agency's case: the service's own Chinese message
    page = client.get(reverse("web:case_detail", args=[stranger.pk])).content.decode()
    assert "案件不存在或您无权查看" in page and jargon(page) == []
    page = Client().get("/no/such/page/").content.decode()  # signed out, still Chinese
    assert "页面不存在" in page and "Not Found" not in page


def test_forbidden_and_server_error_pages_are_chinese_with_a_way_back(db):
    request = RequestFactory().get("/x/")
    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()
    forbidden = error_views.forbidden(request, Exception("Forbidden"))
    assert forbidden.status_code == 403 and "无权访问" in forbidden.content.decode()
    assert "Forbidden" not in forbidden.content.decode()
    failed = error_views.server_error(request)
    page = failed.content.decode()
    assert failed.status_code == 500 and "系统出错" in page and "返回工作台" in page and "执法全过程记录系统" in page


def test_a_form_sent_without_its_csrf_token_is_refused_in_chinese(org):
    client = Client(enforce_csrf_checks=True)
    client.force_login(org.officer_users[0])
    response = client.post(reverse("web:case_create"), {"title": "x"})
    page = response.content.decode()
    assert response.status_code == 403 and "页面已过期" in page and "返回上一页" in page
    assert "CSRF" not in page and "Forbidden" not in page


NON_IT_ROLES = (Role.OFFICER, Role.HEAD, Role.ARCHIVIST, Role.REVIEWER)


def reachable_pages(client, start, limit=80):
    """The HTML pages reachable from `start` by following the site's own links (GETs only);
    a link that leads to no page (404, 500) is kept as the page's text “HTTP 404”."""
    seen, queue, pages = set(), [start], {}
    while queue and len(pages) < limit:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url)
        if response.status_code in (404, 500):
            pages[url] = f"HTTP {response.status_code}"
            continue
        if response.status_code != 200 or not response.get("Content-Type", "").startswith("text/html"):
            continue
        html = response.content.decode()
        pages[url] = html
        for href in re.findall(r'<a\b[^>]*\bhref="([^"]+)"', html):  # the links a user follows
            href = urldefrag(href.replace("&amp;", "&"))[0]
            parsed = urlparse(href)
            if href and not parsed.scheme and href.startswith("/") and "format=csv" not in href \
                    and not href.startswith("/static/") and not href.startswith("/media/"):
                queue.append(href)
    return pages


@pytest.mark.parametrize("role", NON_IT_ROLES)  # one test per role: the walk is long, so workers share it
def test_no_page_a_non_it_user_reaches_shows_codes_labels_file_urls_or_english_errors(
        org, tmp_path, django_capture_on_commit_callbacks, role):
    from lawtrail.supervision.services import device_register

    device_register(actor=org.head, department=org.department, device_no="DSJ-0001", model="执法记录仪 A")
    case = org.open_case()
    ingest(org, case, make_video(tmp_path / "现场.mp4", seconds=1), device_no="DSJ-0001")  # links its device
    org.final_record(case, "filing_approval")
    org.conclude(case)
    org.final_record(case, "closing_report")
    org.archive(case)
    with django_capture_on_commit_callbacks(execute=True):  # the checklist's pass finds the deadline for 待办
        org.step(org.open_case(title="紧急先行启动的案件"), "emergency_start", "证据可能灭失")
    open_case = org.open_case(title="正在调查的案件")
    org.final_record(open_case, "inquiry_record")
    user = org.officer_users[0] if role == Role.OFFICER else org.users[role]
    pages = reachable_pages(client_for(user), reverse("web:home"))
    assert len(pages) > 10
    shown = {url: jargon(html) for url, html in pages.items() if jargon(html)}
    assert shown == {}
