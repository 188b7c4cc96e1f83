"""移动执法: an officer does the on-site part from a phone (Chromium emulating an iPhone and a
Pixel, with touch): every control can be reached with a thumb, and nothing typed is lost."""

import hashlib

import pytest
from django.db import connections
from django.utils import timezone
from playwright.sync_api import expect, sync_playwright

from lawtrail.testing import PASSWORD, resident_id
from lawtrail.web.tests.test_browser import CHROMIUM, CHROMIUM_ARGS, browser_org, login  # noqa: F401  (a fixture)

# The iPhone at the 390×844 of its screen (Playwright's profile leaves room for Safari's bars).
PHONES = {"iPhone 13": {"viewport": {"width": 390, "height": 844}}, "Pixel 7": {}}

# Each visible control's centre must be the control itself (nothing covers it) and inside the
# screen, and a button at least 44 px high.
UNTAPPABLE = """() => {
  const wrong = [];
  const controls = document.querySelectorAll("button, .btn, input:not([type=hidden]), select, textarea, summary");
  for (const el of controls) {
    if (!el.getClientRects().length || getComputedStyle(el).visibility === "hidden") continue;
    const shut = el.closest("details:not([open])");  // its content is not shown, only its summary
    if (shut && !(el.tagName === "SUMMARY" && el.parentElement === shut)) continue;
    el.scrollIntoView({block: "center", inline: "center"});
    const r = el.getBoundingClientRect();
    const x = r.left + r.width / 2, y = r.top + r.height / 2;
    const hit = document.elementFromPoint(x, y);
    const name = (el.textContent || el.name || el.getAttribute("aria-label") || el.tagName).trim().slice(0, 20);
    if (x < 0 || x > innerWidth || !hit || !(hit === el || el.contains(hit) || (hit.tagName === "LABEL" && hit.contains(el))))
      wrong.push(name + " covered by " + (hit ? hit.tagName + "." + hit.className : "nothing"));
    else if ((el.tagName === "BUTTON" || el.classList.contains("btn")) && r.height < 44)
      wrong.push(name + " only " + Math.round(r.height) + " px high");
  }
  window.scrollTo(0, 0);
  return wrong;
}"""


@pytest.fixture(params=list(PHONES))
def phone(request, monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # as test_browser's fixture
    with sync_playwright() as p:
        # A camera and a microphone that Chromium makes up, for recording in the page, used
        # without asking unless the test wants the officer asked (camera_asked).
        asked = "camera_asked" in request.fixturenames
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS + [
            "--use-fake-device-for-media-stream", *([] if asked else ["--use-fake-ui-for-media-stream"])])
        profile = {**p.devices[request.param], **PHONES.get(request.param, {})}
        profile.pop("default_browser_type")
        # A test that alters responses with page.route blocks the service worker: requests it
        # forwards would pass the route by (whether it controls the page yet is a race).
        workers = "block" if request.node.get_closest_marker("no_service_worker") else "allow"
        context = browser.new_context(**profile, locale="zh-CN", timezone_id="Asia/Shanghai", service_workers=workers)
        page = context.new_page()
        page.set_default_timeout(15000)
        if workers == "allow":
            def route(*args, **kwargs):
                raise AssertionError("page.route needs @pytest.mark.no_service_worker on the test")
            page.route = route
        yield page
        connections.close_all()
        browser.close()


@pytest.fixture
def camera_asked():
    """The phone's browser asks the officer before a page may use the camera (see phone)."""


def assert_thumb_friendly(page, shot):
    width = page.viewport_size["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width, "the page is wider than the screen"
    assert page.evaluate(UNTAPPABLE) == []
    page.screenshot(path=f"/tmp/mobile-{shot}-{width}.png", full_page=True)


def finger_signature(page, box):
    """Write on the pad with a finger: touch events, as a phone's screen sends them."""
    canvas = box.locator("canvas.signature-pad")
    canvas.scroll_into_view_if_needed()
    area = canvas.bounding_box()
    cdp = page.context.new_cdp_session(page)

    def touch(kind, points):
        cdp.send("Input.dispatchTouchEvent",
                 {"type": kind, "touchPoints": [{"x": area["x"] + x, "y": area["y"] + y, "id": 7} for x, y in points]})

    touch("touchStart", [(20, 60)])
    for point in ((70, 25), (130, 95), (190, 30), (260, 80)):
        touch("touchMove", [point])
    touch("touchEnd", [])
    page.wait_for_timeout(500)  # the finger lifts; a tap at once would be read as part of the same gesture
    return area


def test_an_officer_registers_writes_signs_and_uploads_on_a_phone(live_server, browser_org, phone, tmp_path):
    from lawtrail.cases.models import Case
    from lawtrail.media.models import Recording
    from lawtrail.samples import make_video

    org, page = browser_org, phone
    login(page, live_server.url, org.officer_users[0])
    assert_thumb_friendly(page, "home")
    # The menu is a drawer: off the screen until its button is tapped.
    menu = page.locator("#menu")
    assert menu.bounding_box()["x"] + menu.bounding_box()["width"] <= 0
    page.get_by_test_id("menu").tap()
    menu.get_by_role("link", name="登记案件").tap()
    expect(page.locator("h1")).to_contain_text("登记案件")
    page.fill("#id_title", "占用林地案")
    page.select_option("#id_matter_type", "penalty")
    page.select_option("#id_source", "ex_officio")
    page.fill("#id_start_reason", "巡查发现林地被占用")
    page.select_option("#id_lead_officer", str(org.officers[0].pk))
    page.check(f"input[name=assist_officers][value='{org.officers[1].pk}']")
    page.fill("#id_party_name", "王某")
    page.fill("#id_party_id_number", resident_id())
    assert_thumb_friendly(page, "case-form")
    page.get_by_role("button", name="提交登记").tap()
    expect(page.locator(".alert-success")).to_contain_text("案件已登记")
    case = Case.objects.get(title="占用林地案")
    assert_thumb_friendly(page, "case")

    page.select_option("select[name=doc_type]", "inquiry_record")
    page.get_by_role("button", name="制作文书").tap()
    expect(page.locator("h1")).to_contain_text("询问笔录")
    page.fill("input[name=place]", "某村林场")
    page.fill("textarea[name=content]", "问：林地由谁占用？答：本人。")
    assert_thumb_friendly(page, "record")
    page.get_by_role("button", name="保存草稿").tap()
    expect(page.locator(".alert-success")).to_contain_text("草稿已保存")
    record = case.records.get()
    assert record.data["content"] == "问：林地由谁占用？答：本人。"

    box = page.locator(".slot[data-slot=officers]")
    open_sign_box(box)
    area = finger_signature(page, box)
    assert area["width"] >= page.viewport_size["width"] - 60  # the pad takes the screen's width
    assert_thumb_friendly(page, "signing")
    # A click: Chromium's emulation drops a tap that follows touch strokes sent over CDP (the
    # button's tappability is what assert_thumb_friendly checked).
    box.get_by_role("button", name="确认签署").click()
    expect(page.locator(".alert-success")).to_contain_text("已签署")
    signature = record.signatures.get()
    assert signature.image_sha256 and signature.device_time is not None

    video = make_video(tmp_path / "执法记录仪DSJ0001_现场检查勘验_林场东侧山坡_0001.mp4", seconds=4, fps=10, size=(320, 240))
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    form = page.locator("#upload-form")
    form.locator("input[name=file]").set_input_files(str(video))
    form.locator("select[name=activity]").select_option("site_inspection")
    assert_thumb_friendly(page, "upload")
    form.get_by_role("button", name="开始上传").tap()
    expect(page.locator("#recordings")).to_contain_text("执法记录仪DSJ0001_现场检查勘验_林场东侧山坡_0001.mp4", timeout=30000)
    recording = Recording.objects.get(case=case)
    assert recording.sha256 == hashlib.sha256(video.read_bytes()).hexdigest()
    assert recording.media_info["client_sha256"] == recording.sha256 and not recording.hash_mismatch  # hashed in the browser
    # The record again, now offering the recording (a long option) for a refusal: still the screen's width.
    page.goto(f"{live_server.url}/cases/{case.pk}/records/{record.pk}/")
    assert_thumb_friendly(page, "record-with-recording")
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    page.locator("#recordings").get_by_role("link", name="执法记录仪DSJ0001_现场检查勘验_林场东侧山坡_0001.mp4").tap()
    expect(page.get_by_test_id("player")).to_be_visible()
    assert_thumb_friendly(page, "playback")


@pytest.fixture
def inquiry_draft(browser_org):
    from lawtrail.records.services import record_create

    return record_create(actor=browser_org.officer_users[0], case=browser_org.open_case(), doc_type_code="inquiry_record")


ONE_PHONE = pytest.mark.parametrize("phone", ["iPhone 13"], indirect=True)


@ONE_PHONE
def test_text_typed_while_the_session_expired_is_kept_and_saved_after_the_password(
        live_server, browser_org, inquiry_draft, phone):
    from django.contrib.sessions.models import Session

    page, record = phone, inquiry_draft
    open_record(page, live_server, browser_org, record)
    words = "问：你是否知道占用林地需要审批？答：知道，但当时没有办理。" * 20
    page.fill("textarea[name=content]", words)
    Session.objects.all().delete()  # 30 minutes idle: the server forgets the session
    page.get_by_role("button", name="保存草稿").tap()
    panel = page.get_by_test_id("relogin")
    expect(panel).to_be_visible()
    assert page.input_value("textarea[name=content]") == words  # nothing lost, no page change
    panel.locator("input[name=password]").fill("not-my-password")
    panel.get_by_role("button", name="登录并保存").tap()
    expect(panel.locator(".relogin-error")).to_contain_text("密码不正确")
    panel.locator("input[name=password]").fill(PASSWORD)
    panel.get_by_role("button", name="登录并保存").tap()
    expect(page.locator(".alert-success")).to_contain_text("草稿已保存")
    record.refresh_from_db()
    assert record.data["content"] == words
    assert page.input_value("textarea[name=content]") == words


@ONE_PHONE
def test_a_draft_written_offline_reaches_the_server_when_back_online(live_server, browser_org, inquiry_draft, phone):
    page, record = phone, inquiry_draft
    open_record(page, live_server, browser_org, record)
    page.context.set_offline(True)
    expect(page.get_by_test_id("offline")).to_be_visible()
    page.fill("input[name=place]", "某村林场")
    page.locator("input[name=place]").blur()  # leaving the field saves, or tries to
    expect(page.get_by_test_id("autosave-status")).to_contain_text("离线")
    record.refresh_from_db()
    assert "place" not in record.data or not record.data["place"]
    page.context.set_offline(False)
    expect(page.get_by_test_id("autosave-status")).to_contain_text("已自动保存到服务器")
    expect(page.get_by_test_id("offline")).to_be_hidden()
    record.refresh_from_db()
    assert record.data["place"] == "某村林场"


def open_record(page, live_server, org, record):
    """The handling officer signs in on the phone and opens the record: its URL."""
    url = f"{live_server.url}/cases/{record.case_id}/records/{record.pk}/"
    login(page, live_server.url, org.officer_users[0])
    page.goto(url)
    return url


def open_sign_box(slot):
    """Open a signature slot's box (a slot left to sign may be open already)."""
    if slot.locator("details.sign-box").get_attribute("open") is None:
        slot.locator("summary").tap()


def slow_phone(page, answer_ms=0):
    """A slow phone: each step of hashing a signature takes a second (some 3 s for one), and
    with `answer_ms` every answer from the server comes that much later."""
    page.evaluate("""answerMs => {
        const digest = LawTrailSHA256.digest;
        LawTrailSHA256.digest = data => new Promise(ok => setTimeout(ok, 1000)).then(() => digest(data));
        if (!answerMs) return;
        const send = window.fetch;
        window.fetch = (...args) => new Promise(ok => setTimeout(ok, answerMs)).then(() => send(...args));
    }""", answer_ms)


def party_signs_offline(page, name="王某"):
    """Offline, the party signs the record's party slot on the pad: (the slot, its queue)."""
    page.context.set_offline(True)
    box = page.locator(".slot[data-slot=party]")
    open_sign_box(box)
    box.locator("form.sign-form input[name=signer_name]").fill(name)
    finger_signature(page, box)
    box.get_by_role("button", name="确认签署").click()  # a click, as in the journey above
    return box, page.get_by_test_id("sign-queue-party")


@ONE_PHONE
def test_a_party_signature_taken_offline_arrives_and_the_slot_no_longer_says_unsigned(
        live_server, browser_org, inquiry_draft, phone):
    page, record = phone, inquiry_draft
    open_record(page, live_server, browser_org, record)
    box, queue = party_signs_offline(page)
    expect(queue).to_contain_text("离线，联网后自动提交")
    expect(box.locator(".not-signed")).to_be_visible()
    page.context.set_offline(False)
    expect(queue).to_contain_text("已提交，服务器核对校验值一致", timeout=20000)
    expect(box.locator(".not-signed")).to_be_hidden()  # not 尚未签署 above 已提交
    assert record.signatures.get(slot="party").image_sha256
    # Then a colleague changes what was signed: the signature lapses. The page, loaded again,
    # says so, and no card from before still says 已提交 beside it.
    from lawtrail.records.services import record_update

    record.refresh_from_db()
    record_update(actor=browser_org.officer_users[1], record=record, data={**record.data, "content": "改动后的询问内容"})
    page.reload()
    expect(box.get_by_test_id("voided")).to_contain_text("王某的签名已失效")
    expect(queue).to_be_hidden()
    page.reload()  # nor on any later load
    expect(box.get_by_test_id("voided")).to_be_visible()
    expect(queue).to_be_hidden()


@ONE_PHONE
@pytest.mark.no_service_worker
def test_a_page_read_before_the_signature_was_accepted_keeps_its_card(live_server, browser_org, inquiry_draft, phone):
    """As a page the service worker kept from before shows the slot unsigned: there the card
    is the only sign that the signature arrived, and it stays."""
    page, record = phone, inquiry_draft
    url = open_record(page, live_server, browser_org, record)
    stale = page.request.get(url).text()  # the page as the server showed it before the signature
    box, queue = party_signs_offline(page)
    page.context.set_offline(False)
    expect(queue).to_contain_text("已提交，服务器核对校验值一致", timeout=20000)
    page.route(url, lambda route: route.fulfill(status=200, content_type="text/html; charset=utf-8", body=stale))
    page.reload()
    expect(box.locator(".not-signed")).to_be_hidden()  # the old page says 尚未签署; the card says otherwise
    expect(queue).to_contain_text("已提交，服务器核对校验值一致")
    page.unroute(url)
    page.reload()  # the server's page now shows the signature itself
    expect(box.locator(".given")).to_contain_text("王某")
    expect(queue).to_be_hidden()


@ONE_PHONE
def test_a_signature_still_being_kept_when_the_network_returns_is_sent(live_server, browser_org, inquiry_draft, phone):
    """The network comes back while the phone is still hashing the signature it keeps: the
    signature is sent then, not left 等待提交 until the page is next loaded."""
    page, record = phone, inquiry_draft
    open_record(page, live_server, browser_org, record)
    slow_phone(page)
    box, queue = party_signs_offline(page)
    page.context.set_offline(False)  # before the signature is kept
    expect(queue).to_contain_text("已提交，服务器核对校验值一致", timeout=20000)
    assert record.signatures.get(slot="party").signer_name == "王某"


@ONE_PHONE
def test_a_signature_kept_while_another_is_being_sent_is_sent_after_it(live_server, browser_org, inquiry_draft, phone):
    """Back online, the party's signature is on its way over a slow network when the officer's,
    signed offline a moment before, has been kept: it is sent once the first has arrived."""
    page, record = phone, inquiry_draft
    open_record(page, live_server, browser_org, record)
    box, queue = party_signs_offline(page)
    expect(queue).to_contain_text("离线，联网后自动提交")
    slow_phone(page, answer_ms=6000)
    officers = page.locator(".slot[data-slot=officers]")
    open_sign_box(officers)
    chooser = officers.locator("select.signer-choice")
    chooser.select_option(chooser.locator("option[data-self='1']").get_attribute("value"))
    finger_signature(page, officers)
    officers.get_by_role("button", name="确认签署").click()
    page.context.set_offline(False)  # the party's goes now; the officer's is kept while it travels
    expect(queue).to_contain_text("已提交，服务器核对校验值一致", timeout=30000)
    expect(page.get_by_test_id("sign-queue-officers")).to_contain_text("已提交，服务器核对校验值一致", timeout=30000)
    assert set(record.signatures.values_list("slot", flat=True)) == {"party", "officers"}


def kept_in_browser(page, text):
    page.wait_for_function("""text => new Promise(ok => {
        const open = indexedDB.open("lawtrail");
        open.onsuccess = () => {
          const get = open.result.transaction("drafts").objectStore("drafts").getAll();
          get.onsuccess = () => ok(get.result.some(d => d.fields.includes(text)));
        };
    })""", arg=text)


@ONE_PHONE
@pytest.mark.no_service_worker
def test_a_draft_the_server_never_got_is_restored_from_the_browser_with_its_time(
        live_server, browser_org, inquiry_draft, phone):
    page, record = phone, inquiry_draft
    url = open_record(page, live_server, browser_org, record)
    page.route(url, lambda route: route.abort() if route.request.method == "POST" else route.continue_())
    page.fill("textarea[name=content]", "问：现场有几人？答：三人。")
    page.locator("textarea[name=content]").blur()  # leaving the field: the save fails, the browser keeps it
    expect(page.get_by_test_id("autosave-status")).to_contain_text("内容已保存在本机")
    kept_in_browser(page, "现场有几人")
    page.goto(url)  # the server still has not got it (leaving the page tried to save it)
    note = page.get_by_test_id("restored")
    expect(note).to_contain_text("已从本机恢复")
    expect(note).to_contain_text(timezone.localdate().strftime("%Y-%m-%d"))
    assert page.input_value("textarea[name=content]") == "问：现场有几人？答：三人。"
    page.unroute(url)
    page.locator("textarea[name=content]").dispatch_event("change")
    expect(page.get_by_test_id("autosave-status")).to_contain_text("已自动保存到服务器")
    record.refresh_from_db()
    assert record.data["content"] == "问：现场有几人？答：三人。"


@ONE_PHONE
@pytest.mark.no_service_worker
def test_when_the_server_changed_meanwhile_its_draft_wins_and_the_browsers_is_shown_beside(
        live_server, browser_org, inquiry_draft, phone):
    from lawtrail.records.services import record_update

    page, record = phone, inquiry_draft
    url = open_record(page, live_server, browser_org, record)
    page.route(url, lambda route: route.abort() if route.request.method == "POST" else route.continue_())
    page.check("input[name=cert_shown]")
    page.fill("textarea[name=content]", "本机写的询问内容")
    page.locator("textarea[name=content]").blur()
    kept_in_browser(page, "本机写的询问内容")
    record_update(actor=browser_org.officer_users[1], record=record, data={**record.data, "content": "同事在电脑上写的"})
    page.goto(url)
    expect(page.get_by_test_id("restored")).to_contain_text("服务器上的草稿已被修改")
    expect(page.get_by_test_id("local-draft")).to_contain_text("本机写的询问内容")
    expect(page.get_by_test_id("local-draft")).to_contain_text("已向被询问人出示执法证件：是")  # a tick, not "on"
    assert page.input_value("textarea[name=content]") == "同事在电脑上写的"
    record.refresh_from_db()
    assert record.data["content"] == "同事在电脑上写的"


@ONE_PHONE
def test_a_page_left_open_offline_does_not_overwrite_a_colleagues_save_made_meanwhile(
        live_server, browser_org, inquiry_draft, phone):
    page, record = phone, inquiry_draft
    url = open_record(page, live_server, browser_org, record)
    page.context.set_offline(True)
    page.fill("textarea[name=content]", "问：现场有几人？答：三人。（在现场离线记录）")
    page.locator("textarea[name=content]").blur()
    expect(page.get_by_test_id("autosave-status")).to_contain_text("离线")
    kept_in_browser(page, "在现场离线记录")
    # Meanwhile a colleague, signed in at his desk, saves the same draft.
    desk = page.context.browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai")
    colleague = desk.new_page()
    login(colleague, live_server.url, browser_org.officer_users[1])
    colleague.goto(url)
    colleague.fill("textarea[name=content]", "问：林地由谁占用？答：本人。（同事在电脑上修改）")
    colleague.get_by_role("button", name="保存草稿").click()
    expect(colleague.locator(".alert-success")).to_contain_text("草稿已保存")
    desk.close()

    page.context.set_offline(False)  # back online: the phone's save is refused, the colleague's stands
    note = page.get_by_test_id("restored")
    expect(note).to_contain_text("服务器上的草稿已被修改")
    expect(note).to_contain_text("以服务器版本为准")
    expect(note).to_contain_text(timezone.localdate().strftime("%Y-%m-%d"))  # when the phone's text was kept
    aside = page.get_by_test_id("local-draft")
    expect(aside).to_have_text("询问内容：问：现场有几人？答：三人。（在现场离线记录）")  # only what differs
    expect(page.locator("textarea[name=content]")).to_have_value("问：林地由谁占用？答：本人。（同事在电脑上修改）")
    record.refresh_from_db()
    assert record.data["content"] == "问：林地由谁占用？答：本人。（同事在电脑上修改）"
    note.scroll_into_view_if_needed()
    page.screenshot(path="/tmp/mobile-conflict-note-390.png")  # what the officer sees first
    assert_thumb_friendly(page, "conflict")

    # Working on from the server's version: the next save continues it and is not refused.
    page.fill("input[name=place]", "某村林场")
    page.locator("input[name=place]").blur()
    expect(page.get_by_test_id("autosave-status")).to_contain_text("已自动保存到服务器")
    record.refresh_from_db()
    assert record.data["place"] == "某村林场"
    assert record.data["content"] == "问：林地由谁占用？答：本人。（同事在电脑上修改）"
    expect(page.get_by_test_id("local-draft")).to_contain_text("在现场离线记录")  # still there to copy from


@ONE_PHONE
def test_a_photo_taken_offline_is_uploaded_when_back_online_with_matching_hashes(
        live_server, browser_org, phone, tmp_path):
    from lawtrail.media.models import Recording
    from lawtrail.samples import make_photo

    page, case = phone, browser_org.open_case()
    photo = make_photo(tmp_path / "现场照片.jpg")
    login(page, live_server.url, browser_org.officer_users[0])
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    page.context.set_offline(True)
    page.get_by_test_id("capture").set_input_files(str(photo))
    queue = page.get_by_test_id("capture-queue")
    expect(queue).to_contain_text("离线，等待联网后上传")
    assert not Recording.objects.filter(case=case).exists()
    page.context.set_offline(False)
    expect(queue).to_contain_text("已上传，校验值一致", timeout=30000)
    recording = Recording.objects.get(case=case)
    assert recording.sha256 == hashlib.sha256(photo.read_bytes()).hexdigest()
    assert recording.officer_time is not None  # the capture time, kept beside the receipt time


@ONE_PHONE
@pytest.mark.no_service_worker
def test_a_hash_the_server_disagrees_with_is_flagged(live_server, browser_org, phone, tmp_path):
    from lawtrail.samples import make_photo

    page, case = phone, browser_org.open_case()
    photo = make_photo(tmp_path / "现场照片.jpg")
    login(page, live_server.url, browser_org.officer_users[0])
    page.goto(f"{live_server.url}/cases/{case.pk}/")

    def altered(route):  # what the server says it stored is not what was taken
        response = route.fetch()
        headers = dict(response.headers)
        if "x-content-sha256" in headers:
            headers["x-content-sha256"] = "0" * 64
        route.fulfill(response=response, headers=headers)

    page.route("**/api/uploads/**", altered)
    page.get_by_test_id("capture").set_input_files(str(photo))
    expect(page.get_by_test_id("capture-queue")).to_contain_text("校验值不一致", timeout=30000)


def kept_uploads(page):
    return page.evaluate("""() => new Promise(ok => {
        const open = indexedDB.open("lawtrail");
        open.onsuccess = () => {
          const get = open.result.transaction("uploads").objectStore("uploads").getAll();
          get.onsuccess = () => ok(get.result.map(i => ({name: i.name, sha256: i.sha256, state: i.state})));
        };
    })""")


@ONE_PHONE
def test_video_and_sound_recorded_in_the_page_offline_arrive_with_matching_hashes(live_server, browser_org, phone):
    from lawtrail.media.models import Recording

    page, case = phone, browser_org.open_case()
    page.context.grant_permissions(["camera", "microphone"], origin=live_server.url)
    login(page, live_server.url, browser_org.officer_users[0])
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    page.context.set_offline(True)
    queue = page.get_by_test_id("capture-queue")
    for button, name in (("record-video", "现场录像-"), ("record-audio", "现场录音-")):
        page.get_by_test_id(button).tap()
        expect(page.get_by_test_id("recorder")).to_be_visible()
        expect(page.get_by_test_id("rec-time")).to_have_text("00:02", timeout=10000)
        # Nothing else may take the camera meanwhile: neither recording button nor the camera app.
        for other in ("record-video", "record-audio", "capture"):
            expect(page.get_by_test_id(other)).to_be_disabled()
        if button == "record-video":
            page.get_by_test_id("recorder").screenshot(path=f"/tmp/mobile-recorder-{page.viewport_size['width']}.png")
        page.get_by_test_id("record-stop").tap()
        expect(page.get_by_test_id("recorder")).to_be_hidden()
        expect(page.get_by_test_id("capture")).to_be_enabled()
        expect(queue.locator("li", has_text=name)).to_contain_text("离线，等待联网后上传")
    assert not Recording.objects.filter(case=case).exists()
    page.context.set_offline(False)
    expect(queue.locator("li.capture-done")).to_have_count(2, timeout=30000)
    page.locator("#capture").screenshot(path=f"/tmp/mobile-recorded-{page.viewport_size['width']}.png")
    taken = {i["name"]: i["sha256"] for i in kept_uploads(page)}
    stored = {r.filename: r for r in Recording.objects.filter(case=case)}
    assert stored.keys() == taken.keys()
    for name, recording in stored.items():
        assert recording.sha256 == taken[name] and not recording.hash_mismatch
        assert recording.officer_time is not None  # when recording started, on the phone


@ONE_PHONE
def test_a_recording_cut_off_by_leaving_the_page_is_recovered_and_uploaded(live_server, browser_org, phone):
    """Each second of a recording is kept in the browser as it comes: a page left mid-recording
    loses at most that second, and the next page queues what was kept."""
    from lawtrail.media.models import Recording

    page, case = phone, browser_org.open_case()
    page.context.grant_permissions(["camera", "microphone"], origin=live_server.url)
    login(page, live_server.url, browser_org.officer_users[0])
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    started = timezone.now()
    page.get_by_test_id("record-video").tap()
    expect(page.get_by_test_id("rec-time")).to_have_text("00:03", timeout=10000)
    warned = []
    page.once("dialog", lambda dialog: (warned.append(dialog.type), dialog.accept()))
    page.reload()  # as if the officer went elsewhere, or the phone closed the tab
    assert warned == ["beforeunload"]  # the officer was asked first

    item = page.get_by_test_id("capture-queue").locator("li", has_text="现场录像-")
    expect(item.get_by_test_id("interrupted")).to_have_text("录制中断（已保存至中断时）")
    expect(item).to_contain_text("已上传，校验值一致", timeout=30000)
    expect(page.get_by_test_id("recorder")).to_be_hidden()
    item.scroll_into_view_if_needed()
    page.screenshot(path=f"/tmp/mobile-interrupted-{page.viewport_size['width']}.png")
    [kept] = kept_uploads(page)
    recording = Recording.objects.get(case=case)
    assert recording.filename == kept["name"] and recording.sha256 == kept["sha256"]  # hashed as uploaded
    assert recording.media_info["client_sha256"] == recording.sha256 and not recording.hash_mismatch
    assert recording.size > 10_000  # the seconds before the reload, not an empty file
    assert recording.method == "手机页面内录像，录制中断（已保存至中断时）"
    assert abs(recording.officer_time - started).total_seconds() < 3  # when recording started
    assert page.evaluate("""() => new Promise(ok => {
        const open = indexedDB.open("lawtrail");
        open.onsuccess = () => {
          const count = open.result.transaction("takes").objectStore("takes").count();
          count.onsuccess = () => ok(count.result);
        };
    })""") == 0  # the pieces are gone once queued


@ONE_PHONE
def test_a_camera_the_browser_refuses_is_explained_in_plain_words(live_server, browser_org, camera_asked, phone):
    page, case = phone, browser_org.open_case()
    login(page, live_server.url, browser_org.officer_users[0])
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    cdp = page.context.new_cdp_session(page)  # the officer said no when the phone asked
    browser_context = cdp.send("Target.getTargetInfo")["targetInfo"]["browserContextId"]
    for name in ("camera", "microphone"):
        cdp.send("Browser.setPermission", {"permission": {"name": name}, "setting": "denied",
                                           "origin": live_server.url, "browserContextId": browser_context})
    page.get_by_test_id("record-video").tap()
    note = page.locator("#capture-note")
    expect(note).to_have_text("无法使用摄像头：请在浏览器设置中允许本网站使用摄像头和麦克风；也可用“现场拍照 / 录像”调用手机相机。")
    expect(page.get_by_test_id("recorder")).to_be_hidden()


@ONE_PHONE
@pytest.mark.no_service_worker
def test_the_upload_forms_hash_computed_in_the_browser_is_compared_and_a_mismatch_flagged(
        live_server, browser_org, phone, tmp_path):
    from lawtrail.media.models import Recording
    from lawtrail.samples import make_video

    page, case = phone, browser_org.open_case()
    video = make_video(tmp_path / "现场检查.mp4", seconds=2, fps=10, size=(320, 240))
    login(page, live_server.url, browser_org.officer_users[0])
    page.goto(f"{live_server.url}/cases/{case.pk}/")

    def altered(route):  # a byte changed on the way: the server gets another file than the browser hashed
        body = route.request.post_data_buffer
        if route.request.method != "PATCH" or not body:
            return route.continue_()
        route.continue_(post_data=body[:-1] + bytes([body[-1] ^ 0xFF]))

    page.route("**/api/uploads/**", altered)
    form = page.locator("#upload-form")
    form.locator("input[name=file]").set_input_files(str(video))
    form.get_by_role("button", name="开始上传").tap()
    expect(form).to_have_attribute("data-state", "mismatch", timeout=30000)
    expect(page.locator("#upload-status")).to_contain_text("校验值不一致")
    form.screenshot(path=f"/tmp/mobile-upload-mismatch-{page.viewport_size['width']}.png")
    recording = Recording.objects.get(case=case)
    assert recording.media_info["client_sha256"] == hashlib.sha256(video.read_bytes()).hexdigest()
    assert recording.sha256 != recording.media_info["client_sha256"]  # kept as received, not refused
    assert recording.hash_mismatch and "校验值不一致" in recording.flag_reason
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    expect(page.get_by_test_id("hash-mismatch")).to_have_text("校验值不一致，请核查")


def keep_offline(page, live_server, case):
    """Open the case online and make it available offline (离线可用)."""
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.get_by_test_id("keep-offline").tap()
    expect(page.get_by_test_id("keep-status")).to_contain_text("已可离线使用（")


def kept_paths(page):
    return page.evaluate("""() => caches.has("pages").then(has => !has ? [] : caches.open("pages")
        .then(c => c.keys()).then(keys => keys.map(k => new URL(k.url).pathname)))""")


@ONE_PHONE
def test_a_case_made_available_offline_opens_with_its_records_offline(live_server, browser_org, inquiry_draft, phone):
    page, record = phone, inquiry_draft
    case = record.case
    login(page, live_server.url, browser_org.officer_users[0])
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    page.screenshot(path=f"/tmp/mobile-keep-before-{page.viewport_size['width']}.png")
    keep_offline(page, live_server, case)
    page.screenshot(path=f"/tmp/mobile-keep-{page.viewport_size['width']}.png")
    assert set(kept_paths(page)) >= {f"/cases/{case.pk}/", f"/cases/{case.pk}/records/{record.pk}/"}
    page.context.set_offline(True)
    page.reload()
    expect(page.locator("h1")).to_contain_text(case.title)
    expect(page.get_by_test_id("offline")).to_be_visible()
    page.goto(f"{live_server.url}/cases/{case.pk}/records/{record.pk}/")
    expect(page.locator("h1")).to_contain_text("询问笔录")
    page.goto(f"{live_server.url}/cases/")  # 案件管理 from the menu: not kept, the kept cases offered
    expect(page.locator("body")).to_contain_text("本页没有保存在本机")
    expect(page.get_by_role("link", name=case.title)).to_be_visible()
    # In the app's own style, with links a thumb can hit.
    assert page.get_by_test_id("offline-page").evaluate("e => getComputedStyle(e).borderRadius") == "6px"
    assert page.get_by_role("link", name=case.title).bounding_box()["height"] >= 44
    page.screenshot(path=f"/tmp/mobile-offline-page-{page.viewport_size['width']}.png")
    page.goto(f"{live_server.url}/")  # the installed app starts here: it lists the kept cases
    expect(page.get_by_role("link", name=case.title)).to_be_visible()
    page.get_by_role("link", name=case.title).click()
    expect(page.locator("h1")).to_contain_text(case.title)
    page.context.set_offline(False)


@ONE_PHONE
def test_a_case_page_is_not_kept_on_the_phone_unless_asked(live_server, browser_org, phone):
    page, case = phone, browser_org.open_case(title="不需离线的案件")
    login(page, live_server.url, browser_org.officer_users[0])
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()
    assert f"/cases/{case.pk}/" not in kept_paths(page)
    page.context.set_offline(True)
    page.reload()
    expect(page.locator("body")).to_contain_text("本页没有保存在本机")
    expect(page.locator("body")).not_to_contain_text("不需离线的案件")
    page.context.set_offline(False)


@ONE_PHONE
def test_kept_pages_are_removed_when_the_officer_signs_out(live_server, browser_org, phone):
    page, case = phone, browser_org.open_case(title="涉密案件")
    login(page, live_server.url, browser_org.officer_users[0])
    keep_offline(page, live_server, case)
    page.get_by_role("button", name="退出").tap()
    expect(page.locator("h1")).to_contain_text("用户登录")
    page.wait_for_function("""() => caches.has("pages").then(has => !has)""")
    page.context.set_offline(True)
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    expect(page.locator("body")).not_to_contain_text("涉密案件")
    page.context.set_offline(False)


@ONE_PHONE
def test_kept_pages_are_removed_when_the_session_expires_online(live_server, browser_org, phone):
    from django.contrib.sessions.models import Session

    page, case = phone, browser_org.open_case(title="涉密案件")
    login(page, live_server.url, browser_org.officer_users[0])
    keep_offline(page, live_server, case)
    Session.objects.all().delete()  # 30 minutes idle: the server forgets the session
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    expect(page.locator("h1")).to_contain_text("用户登录")
    page.wait_for_function("""() => caches.has("pages").then(has => !has)""")


@ONE_PHONE
def test_kept_pages_are_removed_when_the_session_expires_while_offline(live_server, browser_org, phone, settings):
    settings.SESSION_COOKIE_AGE = 12
    settings.LAWTRAIL_SESSION_RENEW_SECONDS = 0
    page, case = phone, browser_org.open_case(title="涉密案件")
    login(page, live_server.url, browser_org.officer_users[0])
    keep_offline(page, live_server, case)
    page.context.set_offline(True)
    page.reload()
    expect(page.locator("h1")).to_contain_text("涉密案件")  # within the session: there
    page.wait_for_timeout(13000)  # no word with the server: the session has ended meanwhile
    page.reload()
    expect(page.locator("body")).to_contain_text("登录已过期，离线保存的案件页面已从本机清除")
    assert kept_paths(page) == []
    page.context.set_offline(False)


@ONE_PHONE
def test_pages_kept_before_keeping_was_asked_for_are_not_shown_offline(live_server, browser_org, phone):
    """The service worker used to keep every page opened, with no session's end beside them:
    on a phone updated from then, they go instead of being shown offline indefinitely."""
    page, case = phone, browser_org.open_case(title="涉密案件")
    login(page, live_server.url, browser_org.officer_users[0])
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.evaluate("""(path) => caches.open("pages").then(c => c.put(path, new Response(
        "<h1>旧缓存的涉密案件</h1>", { headers: { "Content-Type": "text/html; charset=utf-8" } })))""", f"/cases/{case.pk}/")
    page.context.set_offline(True)
    page.reload()
    expect(page.locator("body")).to_contain_text("本页没有保存在本机")
    expect(page.locator("body")).not_to_contain_text("旧缓存的涉密案件")
    assert kept_paths(page) == []
    page.context.set_offline(False)


@ONE_PHONE
def test_the_public_verification_page_opened_signed_in_leaves_the_kept_case(live_server, browser_org, phone):
    page, case = phone, browser_org.open_case(title="现场案件")
    login(page, live_server.url, browser_org.officer_users[0])
    keep_offline(page, live_server, case)
    page.goto(f"{live_server.url}/verify/")  # 扫码验真 of a document, on site
    expect(page.locator("h1")).to_be_visible()
    page.wait_for_timeout(500)
    assert f"/cases/{case.pk}/" in kept_paths(page)


@ONE_PHONE
def test_the_party_is_shown_a_receipt_with_the_number_and_the_verification_qr(live_server, browser_org, phone):
    from lawtrail.web.tests.test_receipt import final_record

    page, record = phone, final_record(browser_org)
    open_record(page, live_server, browser_org, record)
    assert_thumb_friendly(page, "final-record")  # its PDF's hash wraps instead of widening the page
    page.get_by_test_id("receipt-link").tap()
    receipt = page.get_by_test_id("receipt")
    expect(receipt.get_by_test_id("number")).to_have_text(record.number)
    assert page.get_by_test_id("verify-qr").evaluate("img => img.complete && img.naturalWidth > 0")
    assert_thumb_friendly(page, "receipt")
    page.evaluate("window.print = () => { window.printed = true; }")  # the browser's print dialog
    page.get_by_role("button", name="打印回执").tap()
    assert page.evaluate("window.printed === true")


@ONE_PHONE
def test_the_party_signs_across_the_whole_screen(live_server, browser_org, inquiry_draft, phone):
    page, record = phone, inquiry_draft
    open_record(page, live_server, browser_org, record)
    box = page.locator(".slot[data-slot=party]")
    open_sign_box(box)
    box.locator("form.sign-form input[name=signer_name]").fill("王某")
    box.get_by_role("button", name="全屏签名").tap()
    canvas = box.locator("canvas.signature-pad")
    page.wait_for_timeout(400)
    area = canvas.bounding_box()
    assert area["height"] > page.viewport_size["height"] * 0.7 and area["width"] >= page.viewport_size["width"] - 20
    assert canvas.evaluate("c => c.height") > 500  # drawn at the screen's size, not stretched
    finger_signature(page, box)
    box.get_by_role("button", name="完成").click()  # clicks, as in the journey above
    box.get_by_role("button", name="确认签署").click()
    expect(page.locator(".alert-success")).to_contain_text("王某已签署")
    assert record.signatures.get(slot="party").image_sha256


@pytest.mark.parametrize("phone", ["iPad Mini"], indirect=True)
def test_a_tablet_keeps_the_menu_and_fits_the_case_and_record_pages(live_server, browser_org, inquiry_draft, phone):
    page, record = phone, inquiry_draft
    login(page, live_server.url, browser_org.officer_users[0])
    expect(page.locator("#menu")).to_be_visible()  # a sidebar still, not a drawer
    expect(page.get_by_test_id("menu")).to_be_hidden()
    for url, shot in ((f"/cases/{record.case_id}/", "tablet-case"), (f"/cases/{record.case_id}/records/{record.pk}/", "tablet-record")):
        page.goto(live_server.url + url)
        assert_thumb_friendly(page, shot)


@ONE_PHONE
def test_the_home_pages_violations_are_cards_that_fit_the_phone(live_server, browser_org, phone):
    org, page = browser_org, phone
    case = org.open_case()
    org.step(case, "approve_start", "同意")  # without the 立案 form (past the gate, as old data): a violation
    login(page, live_server.url, org.officer_users[0])
    table = page.get_by_test_id("violations").locator("table")
    expect(table).to_contain_text(case.case_no)
    expect(table.locator("thead")).to_be_hidden()
    expect(table.locator("td[data-label=依据]").first).to_be_visible()
    assert table.evaluate("t => t.scrollWidth <= t.parentElement.clientWidth"), "the table runs off its card"
    assert_thumb_friendly(page, "home-violations")
