"""In a real browser: the party reads a draft 询问笔录 printed as 草稿 before signing, and an
officer prints a blank one for field work."""

import subprocess

from playwright.sync_api import expect

from lawtrail.records.catalog import doc_type
from lawtrail.records.services import record_create
from lawtrail.testing import complete_data
from lawtrail.web.tests.test_browser import browser, browser_org, login, page  # noqa: F401 (fixtures)


def pdf_text(response):
    assert response.ok and response.headers["content-type"] == "application/pdf"
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=response.body(), capture_output=True,
                          check=True).stdout.decode()


def test_a_draft_inquiry_is_previewed_and_a_blank_one_printed(live_server, browser_org, page):
    org = browser_org
    data = {**complete_data(doc_type("inquiry_record")), "content": "问：你是否看清了执法证件？\n答：看清楚了。"}
    draft = record_create(actor=org.officer_users[0], case=org.open_case(), doc_type_code="inquiry_record", data=data)
    login(page, live_server.url, org.officer_users[0])

    page.goto(f"{live_server.url}/cases/{draft.case_id}/records/{draft.pk}/")
    preview = page.get_by_test_id("preview")
    expect(preview).to_have_text("预览打印（草稿）")
    text = pdf_text(page.request.get(live_server.url + preview.get_attribute("href")))
    assert "询问笔录" in text and "草稿" in text and "看清楚了" in text
    assert "以上笔录我已看过，与我说的一致" in text and "定稿时编号" in text

    page.goto(f"{live_server.url}/cases/")
    page.get_by_test_id("blank-forms").click()
    expect(page.locator("h1")).to_have_text("空白文书")
    blank = page.get_by_test_id("blank-inquiry_record")
    expect(blank).to_have_text("打印空白文书")
    text = pdf_text(page.request.get(live_server.url + blank.get_attribute("href")))
    assert "询问笔录" in text and org.agency.name in text and "问：" in text and "草稿" not in text
