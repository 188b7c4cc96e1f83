"""In a real browser (Chromium): a 送达回证 is filled by picking the 决定书 and the video,
and the upload form reads typed times as Beijing time whatever the browser's zone."""

import datetime
import zoneinfo

import pytest
from playwright.sync_api import expect

from lawtrail.media.tests.test_recordings import ingest
from lawtrail.records.models import Record
from lawtrail.samples import make_video
from lawtrail.web.tests.test_browser import browser, browser_org, login  # noqa: F401 (fixtures)

BEIJING = zoneinfo.ZoneInfo("Asia/Shanghai")


@pytest.fixture
def served_case(browser_org, tmp_path):
    org = browser_org
    case = org.open_case(title="滥伐林木案")
    decision = org.final_record(case, "decision")
    notice = org.final_record(case, "rights_notice")
    video, _ = ingest(org, case, make_video(tmp_path / "留置送达过程.mp4", seconds=1))
    return case, decision, notice, video


def new_page(browser, **options):  # noqa: F811 (the fixture)
    page = browser.new_page(locale="zh-CN", **options)
    page.set_default_timeout(15000)
    return page


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 800}, {"width": 390, "height": 844}])
def test_an_officer_fills_a_service_receipt_by_picking_the_decision_and_the_video(
        live_server, browser, browser_org, served_case, viewport):  # noqa: F811
    case, decision, notice, video = served_case
    page = new_page(browser, viewport=viewport)
    login(page, live_server.url, browser_org.officer_users[0])
    page.goto(f"{live_server.url}/cases/{case.pk}/#records")
    page.select_option("select[name=doc_type]", label="送达回证（留置送达）")
    page.get_by_role("button", name="制作文书").click()
    expect(page.locator("h1")).to_contain_text("送达回证（留置送达）")
    # The case holds one 决定书: it is chosen and filled in already.
    expect(page.locator("input[name=document_number]")).to_have_value(decision.number)
    picker = page.get_by_test_id("pick-document")
    picker.select_option(label=f"《{notice.title}》{notice.number}")
    expect(page.locator("input[name=document_number]")).to_have_value(notice.number)
    expect(page.locator("input[name=document_name]")).to_have_value(notice.title)
    picker.select_option(label=f"《{decision.title}》{decision.number}")  # no: the decision is served
    expect(page.locator("input[name=document_name]")).to_have_value(decision.title)
    expect(page.locator("input[name=document_number]")).to_have_value(decision.number)
    page.select_option("select[name=video_ref]", value=video.filename)
    page.fill("textarea[name=refusal_reason]", "受送达人拒绝签收")
    page.fill("input[name=lodged_at]", "2026-03-02T10:30")
    page.fill("input[name=place]", "受送达人住所")
    page.screenshot(path=f"/tmp/pick-service-{viewport['width']}.png", full_page=True)
    page.get_by_role("button", name="保存草稿").click()
    expect(page.locator(".alert-success")).to_contain_text("草稿已保存")
    record = Record.objects.filter(case=case, doc_type="service_lodged").get()
    assert record.data["document_name"] == decision.title and record.data["document_number"] == decision.number
    assert record.data["video_ref"] == video.filename
    assert record.data["recipient"] == case.parties.get().name  # the party, not retyped


def test_a_time_typed_on_the_upload_form_is_beijing_time_in_any_browser_zone(
        live_server, browser, browser_org, tmp_path):  # noqa: F811
    case = browser_org.open_case()
    page = new_page(browser, viewport={"width": 1280, "height": 800}, timezone_id="America/New_York")
    login(page, live_server.url, browser_org.officer_users[0])
    page.goto(f"{live_server.url}/cases/{case.pk}/#recordings")
    status = page.locator("#upload-status")
    expect(status).not_to_contain_text("MB")  # nothing counted before a file is chosen
    clip = make_video(tmp_path / "无时间信息.mp4", seconds=1)
    page.set_input_files("#upload-form input[name=file]", str(clip))
    expect(status).to_contain_text("已选择文件（")
    expect(status).not_to_contain_text("0.0 MB")
    page.fill("#upload-form input[name=recorded_at]", "2026-03-02T10:30")
    page.click("#upload-form button[type=submit]")
    expect(page.locator("[data-recording]")).to_have_count(1, timeout=30000)
    recording = case.recordings.get()
    assert recording.officer_time == datetime.datetime(2026, 3, 2, 10, 30, tzinfo=BEIJING)
