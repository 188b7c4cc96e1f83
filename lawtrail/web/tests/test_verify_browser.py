"""The 扫码验真 page in a real browser: a genuine PDF is confirmed and a changed one refused,
hashed in the browser, at desktop size and on a phone; the pure-JavaScript SHA-256 that
stands in where crypto.subtle is missing (plain HTTP) matches the standard's test vectors."""

import hashlib

import pytest
from playwright.sync_api import expect

from lawtrail.blobs import blob_store
from lawtrail.web.tests.test_browser import browser, browser_org  # noqa: F401 (fixtures)
from lawtrail.web.tests.test_verify import finalised

DESKTOP = {"viewport": {"width": 1366, "height": 900}}
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 3, "is_mobile": True, "has_touch": True}
# Browsers offer crypto.subtle only on HTTPS and localhost: take it away to run the fallback.
NO_SUBTLE = "Object.defineProperty(Crypto.prototype, 'subtle', {get: () => undefined});"


@pytest.fixture
def copies(browser_org, tmp_path):
    """A finalised record, its PDF as the system keeps it, and a copy changed by one byte."""
    record = finalised(browser_org)
    with blob_store().open(record.pdf_sha256) as f:
        pdf = f.read()
    genuine, changed = tmp_path / "询问笔录.pdf", tmp_path / "询问笔录（改）.pdf"
    genuine.write_bytes(pdf)
    at = pdf.index(b"/Producer")  # a byte a reader does not show: the file must still be refused
    changed.write_bytes(pdf[:at] + b"/Producex" + pdf[at + 9:])
    return record, genuine, changed


@pytest.mark.parametrize("size,subtle", [(DESKTOP, True), (PHONE, False)], ids=["desktop", "phone-plain-http"])
def test_the_page_confirms_a_genuine_pdf_and_refuses_a_changed_one(copies, live_server, browser, size, subtle):
    # `copies` first: the record is finalised (and sealed) before Playwright's event loop runs.
    record, genuine, changed = copies
    context = browser.new_context(locale="zh-CN", **size)
    if not subtle:
        context.add_init_script(NO_SUBTLE)
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(f"{live_server.url}/verify/{record.verify_code}")
    expect(page.get_by_test_id("exists")).to_contain_text("真实存在")
    expect(page.get_by_test_id("number")).to_have_text(record.public_number)  # a 笔录: 案内编号
    assert page.evaluate("!!(window.crypto && window.crypto.subtle)") is subtle
    verdict = page.get_by_test_id("verdict")

    page.set_input_files("#pdf", str(genuine))
    expect(verdict).to_contain_text("与系统留存原件一致")
    expect(verdict).to_have_attribute("data-result", "ok")
    page.set_input_files("#pdf", str(changed))
    expect(verdict).to_contain_text("与系统留存原件不一致")
    expect(verdict).to_have_attribute("data-result", "bad")
    page.fill("#sha", record.pdf_sha256.upper())
    expect(verdict).to_contain_text("与系统留存原件一致")
    page.fill("#sha", hashlib.sha256(changed.read_bytes()).hexdigest())
    expect(verdict).to_contain_text("不一致")

    # Nothing sticks out sideways on a phone; the check and the code form are on the page.
    assert page.evaluate("document.documentElement.scrollWidth") <= size["viewport"]["width"]
    expect(page.locator("nav.sidebar")).to_have_count(0)
    page.fill("#code", "abcd-efgh-jklm")
    page.get_by_role("button", name="查询").click()
    expect(page.get_by_test_id("unknown")).to_contain_text("验真码 ABCDEFGHJKLM 不存在")
    context.close()


def test_the_javascript_sha256_matches_the_test_vectors(live_server, browser, db):
    page = browser.new_page()
    page.goto(f"{live_server.url}/static/web/sha256.js")  # same origin, so the script may load
    page.set_content("<!DOCTYPE html><title>t</title>")
    page.add_script_tag(url=f"{live_server.url}/static/web/sha256.js")
    vectors = {  # FIPS 180-4 examples, and lengths around the padding's block boundary
        "": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "abc": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq":
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
    }
    vectors.update({"a" * n: hashlib.sha256(b"a" * n).hexdigest() for n in (55, 56, 63, 64, 65, 119, 120)})
    for text, expected in vectors.items():
        assert page.evaluate("t => LawTrailSHA256.hex(new TextEncoder().encode(t))", text) == expected, len(text)
    big = bytes((i * 7) & 255 for i in range(1_000_003))
    got = page.evaluate("n => { const b = new Uint8Array(n); for (let i = 0; i < n; i++) b[i] = (i * 7) & 255;"
                        " return LawTrailSHA256.hex(b); }", len(big))
    assert got == hashlib.sha256(big).hexdigest()
    page.close()
