"""A real browser (Debian's Chromium, driven by Playwright) carries a case through its stages."""

import hashlib
import subprocess

import pytest
from django.db import connections
from playwright.sync_api import expect, sync_playwright

from lawtrail.org.enums import needs_two_factor
from lawtrail.org.enums import Role
from lawtrail.testing import PASSWORD, Org, complete_data, resident_id, totp_code, totp_device

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture
def browser_org(transactional_db):
    # Made before the browser starts, so these writes happen outside Playwright's
    # event loop and their database connection is closed normally at teardown.
    return Org("web", profile="004")


@pytest.fixture
def browser(monkeypatch):
    # Playwright's sync API runs an event loop in this thread; the ORM calls made by
    # the test itself are still synchronous and safe.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        # ORM calls made by the test while Playwright's event loop runs get their own
        # database connections; close them here, or PostgreSQL cannot drop the test database.
        connections.close_all()
        browser.close()


@pytest.fixture
def page(browser):
    # No service worker at the desk: requests it forwarded would pass page.route and
    # page.on("request") by (the phone tests in test_mobile.py exercise the worker).
    page = browser.new_page(viewport={"width": 1366, "height": 900}, locale="zh-CN", service_workers="block")
    page.set_default_timeout(15000)
    return page


def login(page, base, user):
    device = totp_device(user) if needs_two_factor(user) else None  # the phone app, set up earlier
    page.goto(f"{base}/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    if device is not None:
        expect(page.locator("h1")).to_have_text("两步验证")
        page.fill("#id_token", totp_code(device))
        page.get_by_role("button", name="验证", exact=True).click()
    expect(page.locator("h1")).to_have_text("工作台")


def logout(page):
    page.click("text=退出")
    expect(page.locator("h1")).to_have_text("用户登录")


def take_step(page, name, reason):
    form = page.locator(f"form[data-step={name}]")
    form.locator("textarea[name=reason]").fill(reason)
    form.locator("button[type=submit]").click()


def test_a_head_sets_up_the_second_factor_with_the_admins_code(live_server, browser_org, page):
    import base64

    from django_otp.oath import totp

    from lawtrail.org.services import two_factor_enrolment_issue

    head = browser_org.head
    code = two_factor_enrolment_issue(actor=None, user=head)
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", head.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("设置两步验证")
    expect(page.get_by_test_id("qr")).to_have_count(0)  # no key before the admin's code
    page.fill("#id_code", code)
    page.get_by_role("button", name="下一步").click()
    secret = page.get_by_test_id("secret").inner_text().replace(" ", "")
    page.fill("#id_token", f"{totp(base64.b32decode(secret)):06d}")  # what the phone app shows
    page.get_by_role("button", name="启用并登录").click()
    expect(page.locator("h1")).to_have_text("工作台")


def test_a_case_goes_from_registration_to_the_archive_in_the_browser(live_server, browser_org, page):
    org = browser_org
    officer, head, archivist = org.officer_users[0], org.head, org.users[Role.ARCHIVIST]
    base = live_server.url

    login(page, base, officer)
    page.click("text=登记案件")
    page.fill("#id_title", "滥伐林木案")
    page.select_option("#id_matter_type", "penalty")
    page.select_option("#id_source", "ex_officio")
    page.fill("#id_start_reason", "巡查发现山场林木被砍伐")
    page.select_option("#id_lead_officer", str(org.officers[0].pk))
    page.check(f"input[name=assist_officers][value='{org.officers[1].pk}']")
    page.fill("#id_party_name", "刘某")
    page.fill("#id_party_id_number", resident_id())
    page.click("text=提交登记")
    expect(page.locator(".alert-success")).to_contain_text("案件已登记")
    expect(page.get_by_test_id("stage")).to_have_text("程序启动")
    case_url = page.url
    logout(page)

    login(page, base, head)
    expect(page.locator("text=滥伐林木案")).to_be_visible()  # waiting for approval on the home page
    logout(page)

    for user, name, reason, stage in (
        (head, "approve_start", "同意立案", "调查取证"),
        (officer, "submit_review", "调查终结，证据确凿", "审查决定"),
        (head, "decide", "同意作出处罚决定", "送达执行"),
        (officer, "conclude", "罚款已缴纳，补种树木已完成", "待归档"),
        (archivist, "archive", "案卷齐全", "已归档"),
    ):
        # The documents each gate asks for, as the officers made them (their own browser
        # tests make them in the forms); the decision is served before the case is closed.
        from lawtrail.cases.models import Case

        case = Case.objects.get(title="滥伐林木案")
        if name == "conclude":
            org.final_record(case, "service_direct")
        org.ready_for(case, name)
        login(page, base, user)
        page.goto(case_url)
        if name == "archive":
            # The archivist files the case before accepting it.
            page.get_by_test_id("archive-link").click()
            page.fill("textarea[name=notes]", "文书齐全")
            page.click("#case-file button[type=submit]")
            expect(page.locator(".alert-success")).to_contain_text("已组卷（第 1 版")
            expect(page.get_by_test_id("catalog")).to_contain_text("结案报告")
            page.goto(case_url)
        take_step(page, name, reason)
        expect(page.get_by_test_id("stage")).to_have_text(stage)
        logout(page)

    login(page, base, archivist)
    page.goto(case_url)
    expect(page.locator("[data-testid=trail]")).to_contain_text("办理“接收归档”")
    expect(page.locator(".timeline li.done")).to_have_count(5)


@pytest.fixture
def thin_case(browser_org):
    return browser_org.open_case(officers=1)


def test_a_refused_step_is_explained_in_the_browser(live_server, browser_org, thin_case, page):
    case = thin_case
    login(page, live_server.url, browser_org.head)
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    form = page.locator("form[data-step=approve_start]")
    expect(form.locator(".problems")).to_contain_text("至少 2 名承办人")
    expect(form.locator("button[type=submit]")).to_be_disabled()


@pytest.fixture
def filing_draft(browser_org):
    from lawtrail.records.catalog import doc_type
    from lawtrail.records.services import record_create

    spec = doc_type("filing_approval")
    data = {key: value for key, value in complete_data(spec).items() if key not in ("head_opinion", "opinion_time")}
    return record_create(actor=browser_org.officer_users[0], case=browser_org.open_case(),
                         doc_type_code=spec.code, data=data)


def draw_signature(page, slot):
    box = page.locator(f".slot[data-slot={slot}]")
    details = box.locator("details.sign-box")
    if details.get_attribute("open") is None:
        box.locator("summary").click()
    canvas = box.locator("canvas.signature-pad")
    canvas.scroll_into_view_if_needed()
    area = canvas.bounding_box()
    page.mouse.move(area["x"] + 20, area["y"] + 100)
    page.mouse.down()
    for x, y in ((80, 30), (150, 110), (220, 40), (300, 90)):
        page.mouse.move(area["x"] + x, area["y"] + y, steps=4)
    page.mouse.up()
    return box


def sign_slot(page, slot, signer=None, password=None):
    box = draw_signature(page, slot)
    if signer is not None:
        box.locator("select.signer-choice").select_option(str(signer))
    identity = box.get_by_test_id("identity")
    if password is not None:
        expect(identity).to_be_visible()  # signing for another than the signed-in user
        identity.locator("input[name=password]").fill(password)
    box.locator("button[type=submit]:has-text('确认签署')").click()
    return box


def test_two_officers_sign_on_one_device_and_the_heads_opinion_leaves_them_in_place(
        live_server, browser_org, filing_draft, page, tmp_path):
    org, record = browser_org, filing_draft
    url = f"{live_server.url}/cases/{record.case_id}/records/{record.pk}/"

    login(page, live_server.url, org.officer_users[0])
    page.goto(url)
    expect(page.locator(".slot[data-slot=officers] [data-testid=identity]")).to_be_hidden()  # his own slot
    sign_slot(page, "officers")
    expect(page.locator(".alert-success")).to_contain_text(f"{org.officers[0].name}已签署")
    # the second officer signs on the first one's device, with his own password
    sign_slot(page, "officers", signer=org.officers[1].pk, password=PASSWORD)
    expect(page.locator(".alert-success")).to_contain_text(f"{org.officers[1].name}已签署")
    given = page.locator(".slot[data-slot=officers] .given")
    expect(given).to_contain_text("本人重新输入密码")
    logout(page)

    login(page, live_server.url, org.head)
    page.goto(url)
    expect(page.get_by_test_id("problems")).to_contain_text("请填写“负责人意见”")
    page.fill("textarea[name=head_opinion]", "同意立案，由执法一队办理")
    page.fill("input[name=opinion_time]", "2026-11-20T09:30")
    page.click("button[name=save]")
    expect(page.locator(".alert-success")).to_contain_text("草稿已保存")
    given = page.locator(".slot[data-slot=officers] .given")
    expect(given).to_contain_text(f"✔ {org.officers[0].name}")
    expect(given).to_contain_text(f"✔ {org.officers[1].name}")
    expect(page.get_by_test_id("voided")).to_have_count(0)
    sign_slot(page, "head")
    expect(page.locator(".alert-success")).to_contain_text("已签署")
    expect(page.get_by_test_id("problems")).to_have_count(0)
    page.click("text=定稿并生成 PDF")
    expect(page.get_by_test_id("record-status")).to_have_text("已定稿")
    number = page.get_by_test_id("number").inner_text()
    assert number == f"{record.case.case_no}-01"  # an internal record: a 编号 within its case
    with page.expect_download() as download:
        page.get_by_test_id("pdf").click()
    path = tmp_path / "record.pdf"
    download.value.save_as(path)
    assert path.read_bytes().startswith(b"%PDF-")
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True).stdout.decode()
    assert number in text and "同意立案，由执法一队办理" in text
    record.refresh_from_db()
    signatures = record.signatures.filter(refused=False)
    assert signatures.count() == 3 and all(s.image_sha256 for s in signatures)
    assert {s.user for s in signatures} == {org.officer_users[0], org.officer_users[1], org.head}


def test_an_officer_cannot_sign_another_officers_slot_on_a_phone(live_server, browser_org, filing_draft, browser):
    org, record = browser_org, filing_draft
    phone = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True,
                                locale="zh-CN")
    page = phone.new_page()
    page.set_default_timeout(15000)
    login(page, live_server.url, org.officer_users[0])
    page.goto(f"{live_server.url}/cases/{record.case_id}/records/{record.pk}/")
    other = org.officers[1]
    sign_slot(page, "officers", signer=other.pk)  # no password: as if signing for him
    expect(page.locator(".alert-error")).to_contain_text(f"这是{other.name}的签名：须由{other.name}本人签署")
    sign_slot(page, "officers", signer=other.pk, password="not-his-password")
    expect(page.locator(".alert-error")).to_contain_text(f"{other.name}的密码不正确")
    expect(page.locator(".slot[data-slot=officers] .given")).to_contain_text("尚未签署")
    assert not record.signatures.exists()
    phone.close()


@pytest.fixture
def upload_case(browser_org, tmp_path_factory):
    from lawtrail.samples import make_video

    case = browser_org.open_case()
    video = make_video(tmp_path_factory.mktemp("dock") / "执法记录仪_0001.mp4", seconds=20, fps=10, size=(640, 360))
    return case, video


def test_an_officer_uploads_a_video_in_chunks_and_seeks_in_playback(live_server, browser_org, upload_case, page):
    from lawtrail.media.models import Recording

    case, video = upload_case
    login(page, live_server.url, browser_org.officer_users[0])
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    patches = []
    page.on("request", lambda r: patches.append(r) if r.method == "PATCH" and "/api/uploads/" in r.url else None)
    dropped = []

    def drop_one_chunk(route):  # the connection drops once in the middle of the upload
        if route.request.method == "PATCH" and not dropped and route.request.headers.get("upload-offset") != "0":
            dropped.append(route.request.headers["upload-offset"])
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route("**/api/uploads/**", drop_one_chunk)
    form = page.locator("#upload-form")
    expect(page.locator("#upload-pause")).to_be_hidden()
    form.evaluate("f => f.dataset.chunkSize = String(8 * 1024)")  # small chunks, to see several
    form.locator("input[name=file]").set_input_files(str(video))
    form.locator("select[name=activity]").select_option("site_inspection")
    form.locator("input[name=device_no]").fill("DSJ-2026-07")
    form.locator("button[type=submit]").click()
    expect(page.locator("#upload-progress")).to_be_visible()
    expect(page.locator("#recordings")).to_contain_text("执法记录仪_0001.mp4", timeout=30000)
    assert len(patches) > video.stat().st_size // (8 * 1024) >= 3  # every chunk, and the one sent again
    recording = Recording.objects.get(case=case)
    assert recording.device_no == "DSJ-2026-07" and recording.activity == "site_inspection"
    assert dropped and recording.sha256 == hashlib.sha256(video.read_bytes()).hexdigest()  # resumed, intact

    ranges = []
    page.on("response", lambda r: ranges.append(r.status) if "/media/stream/" in r.url else None)
    page.locator("#recordings").get_by_role("link", name="执法记录仪_0001.mp4").click()
    player = page.get_by_test_id("player")
    player.evaluate("v => new Promise(ok => v.readyState >= 1 ? ok() : v.addEventListener('loadedmetadata', ok))")
    assert player.evaluate("v => v.duration") == pytest.approx(20, abs=0.5)
    seeked = player.evaluate("""v => new Promise(ok => {
        v.addEventListener('seeked', () => ok(v.currentTime), {once: true});
        v.currentTime = 15;
    })""")
    assert seeked == pytest.approx(15, abs=1)
    assert ranges and set(ranges) == {206}  # the player reads byte ranges, never the whole file at once


def test_the_checklist_shows_a_violation_the_moment_it_appears(live_server, browser_org, page):
    case = browser_org.open_case(title="未制作立案审批表的案件")
    login(page, live_server.url, browser_org.head)
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    row = page.locator("[data-testid=checklist] tr[data-rule='start.approval']")
    expect(row).to_contain_text("待办")
    expect(row).to_contain_text("004 第十条")
    # The gate refuses the step the checklist would flag...
    form = page.locator("form[data-step=approve_start]")
    expect(form.locator(".problems")).to_contain_text("立案前须制作立案（程序启动）审批表")
    expect(form.locator("button[type=submit]")).to_be_disabled()
    # ...so the violation comes from a history made without the gates (an older system's).
    browser_org.step(case, "approve_start", "同意立案")
    page.reload()
    expect(page.get_by_test_id("stage")).to_have_text("调查取证")
    expect(row).to_contain_text("违反")
    expect(row).to_contain_text("没有已定稿的立案（程序启动）审批表")
    page.locator("#checklist summary").click()
    expect(page.locator("#checklist .history")).to_contain_text("依职权启动须经负责人批准并制作立案（程序启动）审批表：违反")


def test_access_to_a_confidential_case_is_asked_for_and_approved_in_the_browser(live_server, browser_org, page):
    from lawtrail.cases.enums import Confidentiality

    org = browser_org
    case = org.open_case(title="某公司商业秘密案", confidentiality=Confidentiality.COMMERCIAL)
    supervisor, base = org.users[Role.SUPERVISOR], live_server.url

    login(page, base, supervisor)
    page.goto(f"{base}/cases/?q=商业秘密")
    expect(page.locator("main")).not_to_contain_text("某公司商业秘密案")
    page.click("text=调阅许可")
    form = page.get_by_test_id("grant-request")
    form.locator("input[name=case_no]").fill(case.case_no)
    form.locator("select[name=kind]").select_option("view")
    form.locator("input[name=reason]").fill("年度案卷评查")
    form.locator("button[type=submit]").click()
    expect(page.locator(".alert-success")).to_contain_text("待负责人审批")
    expect(page.get_by_test_id("my-grants")).to_contain_text("待审批")
    logout(page)

    login(page, base, org.head)
    page.click("text=调阅许可")
    row = page.get_by_test_id("grants-to-decide").locator("tr", has_text=case.case_no)
    row.locator("input[name=reason]").fill("同意查阅，限三天")
    row.locator("input[name=days]").fill("3")
    row.get_by_role("button", name="批准", exact=True).click()
    expect(page.locator(".alert-success")).to_contain_text("已审批：已批准，有效期至")
    logout(page)

    login(page, base, supervisor)
    page.click("text=调阅许可")
    expect(page.get_by_test_id("my-grants")).to_contain_text("已批准")
    page.get_by_test_id("my-grants").locator(f"text={case.case_no}").click()
    expect(page.locator("h1")).to_have_text("某公司商业秘密案")


def test_a_supervisor_draws_a_sample_checks_a_recording_and_exports_the_ledger(live_server, browser_org, page,
                                                                              tmp_path):
    from lawtrail.supervision.tests.test_supervision import record

    org = browser_org
    case = org.open_case()
    for i in range(3):
        record(org, case, tmp_path, f"抽检{i}.m4a", seconds=i + 1)
    login(page, live_server.url, org.users[Role.SUPERVISOR])
    page.click("text=监督检查")
    form = page.get_by_test_id("draw-form")
    form.locator("input[name=size]").fill("2")
    form.locator("input[name=seed]").fill("浏览器抽检")
    form.locator("button[type=submit]").click()
    expect(page.locator(".alert-success")).to_contain_text("已抽取 2 个音像记录（随机种子 浏览器抽检）")
    first = page.get_by_test_id("check-form").first
    for name, value in (("opening", "pass"), ("continuous", "pass"), ("conduct", "fail"), ("documents", "na")):
        first.locator(f"select[name={name}]").select_option(value)
    first.locator("textarea[name=findings]").fill("执法人员未佩戴执法证件")
    first.locator("button[type=submit]").click()
    expect(page.locator(".alert-success")).to_contain_text("已记入检查台帐")
    page.get_by_role("link", name="检查台帐").click()
    expect(page.get_by_test_id("check-ledger")).to_contain_text("执法人员未佩戴执法证件")
    with page.expect_download() as download:
        page.get_by_test_id("ledger-xlsx").click()
    saved = tmp_path / "ledger.xlsx"
    download.value.save_as(saved)
    from openpyxl import load_workbook

    rows = list(load_workbook(saved).active.iter_rows(min_row=3, values_only=True))
    assert len(rows) == 1 and "执法人员未佩戴执法证件" in rows[0]


def test_a_findings_citation_shows_its_article_on_hover_and_on_tap(live_server, browser_org, browser, page):
    case = browser_org.open_case(title="未制作立案审批表的案件")
    login(page, live_server.url, browser_org.officer_users[0])
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    cite = page.locator("[data-testid=checklist] tr[data-rule='start.approval'] a.cite").first
    expect(cite).to_have_text("004 第十条")
    cite.hover()
    pop = page.locator(".cite-pop")
    expect(pop).to_contain_text("依职权启动行政执法程序的，应当制作立案审批表")
    expect(pop).to_contain_text("衡阳市林业局行政执法全过程记录操作细则")
    # every citation on an agency's page is of its own profile
    profiles = page.locator("a.cite").evaluate_all("links => links.map(a => a.dataset.profile)")
    assert profiles and set(profiles) == {"004"}
    # the link leads to the whole text at the article
    pop.get_by_text("查看规定全文").click()
    expect(page).to_have_url(f"{live_server.url}/regulations/004/#a10")
    expect(page.locator("#a10")).to_contain_text("立案审批表")

    # on a phone a first tap shows the words instead of leaving the page
    phone = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True,
                                locale="zh-CN")
    mobile = phone.new_page()
    mobile.set_default_timeout(15000)
    login(mobile, live_server.url, browser_org.officer_users[0])
    mobile.goto(f"{live_server.url}/cases/{case.pk}/")
    tapped = mobile.locator("[data-testid=checklist] tr[data-rule='start.approval'] a.cite").first
    tapped.scroll_into_view_if_needed()
    tapped.tap()
    expect(mobile.locator(".cite-pop")).to_contain_text("立案审批表")
    assert mobile.url.endswith(f"/cases/{case.pk}/")
    phone.close()


def test_each_agency_sees_only_its_own_regulations_citations(live_server, browser_org, page):
    other = Org("web2", profile="003")
    for org in (browser_org, other):
        from lawtrail.records.services import record_create

        case = org.open_case(title="引用检查案件")
        record = record_create(actor=org.officer_users[0], case=case, doc_type_code="filing_approval")
        login(page, live_server.url, org.officer_users[0])
        for url in (f"/cases/{case.pk}/", f"/cases/{case.pk}/records/{record.pk}/"):
            page.goto(live_server.url + url)
            profiles = page.locator("a.cite").evaluate_all("links => links.map(a => a.dataset.profile)")
            assert profiles and set(profiles) == {org.agency.profile}, (org.agency.profile, url, profiles)
        logout(page)


@pytest.fixture
def gate_cases(browser_org):
    """Made before the browser starts: a case without its filing approval, the same with it,
    and a case in review without what the decision needs."""
    org = browser_org
    bare = org.open_case(title="门槛示例案")
    ready = org.ready_for(org.open_case(title="已备审批表案"), "approve_start")
    decided = org.step(org.step(org.ready_for(org.open_case(title="待决定案"), "approve_start"), "approve_start"),
                       "submit_review")
    return bare, ready, decided


def test_a_gated_step_names_what_is_missing_and_the_todo_list_follows_the_work(
        live_server, browser_org, gate_cases, page):
    org, (case, ready, decided) = browser_org, gate_cases
    login(page, live_server.url, org.head)
    todo = page.get_by_test_id("todo")
    expect(todo.locator("li[data-kind=待我审批]", has_text=case.case_no)).to_contain_text("立案")
    expect(todo.locator("li[data-kind=待我审批]", has_text=decided.case_no)).to_contain_text("决定")
    # 批准立案 without the filing approval: refused, naming the form and the article (004 第十条)
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    form = page.locator("form[data-step=approve_start]")
    expect(form.locator(".problems")).to_contain_text("立案前须制作立案（程序启动）审批表")
    expect(form.locator(".problems a.cite")).to_have_text("004 第十条")
    expect(form.locator("button[type=submit]")).to_be_disabled()
    # 负责人批准决定 without rights notice, head's approval and decision: each named with its article
    page.goto(f"{live_server.url}/cases/{decided.pk}/")
    problems = page.locator("form[data-step=decide] .problems")
    expect(problems).to_contain_text("请先起草决定书")
    expect(problems).to_contain_text("权利告知书")
    expect(problems.locator("a.cite", has_text="004 第二十条").first).to_be_visible()
    # with the form on file the step opens, and the task goes away once taken
    page.goto(f"{live_server.url}/cases/{ready.pk}/")
    take_step(page, "approve_start", "同意立案")
    expect(page.locator(".alert-success")).to_be_visible()
    page.goto(f"{live_server.url}/")
    expect(page.get_by_test_id("todo").locator("li", has_text=ready.case_no)).to_have_count(0)
    expect(page.get_by_test_id("todo").locator("li", has_text=case.case_no)).to_have_count(1)
    expect(page.get_by_test_id("todo-count")).to_be_visible()
