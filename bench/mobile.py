"""A case page on a phone over "slow 4G" (issue 29: usable within 3 seconds), measured, not
asserted. Chromium emulates a Pixel 7 on Lighthouse's slow-4G profile (150 ms round trip,
1.6 Mbit/s down, 750 kbit/s up) against a running server with the demo data:

    LAWTRAIL_HOME=/tmp/demo lawtrail demo && LAWTRAIL_HOME=/tmp/demo lawtrail serve --port 8133 &
    python bench/mobile.py [http://127.0.0.1:8133] [USER] [PASSWORD]

It times the first visit (nothing cached) and a later one (the service worker's app shell),
to the first paint of the page's text and to the point where its buttons answer (load)."""

import json
import sys

from playwright.sync_api import sync_playwright

from common import write

SLOW_4G = {"offline": False, "latency": 150, "downloadThroughput": 1_600_000 / 8, "uploadThroughput": 750_000 / 8}
TIMING = """() => {
  const n = performance.getEntriesByType("navigation")[0];
  const paint = performance.getEntriesByName("first-contentful-paint")[0];
  return {fcp_ms: paint ? Math.round(paint.startTime) : null, dom_ms: Math.round(n.domContentLoadedEventEnd),
          load_ms: Math.round(n.loadEventEnd), bytes: n.transferSize};
}"""


def main(base="http://127.0.0.1:8133", user="hy.officer1", password="Demo@2026"):
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"])
        profile = dict(p.devices["Pixel 7"])
        profile.pop("default_browser_type")
        context = browser.new_context(**profile, locale="zh-CN")
        page = context.new_page()
        page.goto(f"{base}/login/")
        page.fill("#id_username", user)
        page.fill("#id_password", password)
        page.click("button[type=submit]")
        page.wait_for_selector("h1")
        page.goto(f"{base}/cases/")
        case = page.locator("table a[href^='/cases/']").first.get_attribute("href")
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        cdp.send("Network.emulateNetworkConditions", SLOW_4G)
        runs = {}
        page.evaluate("navigator.serviceWorker && navigator.serviceWorker.getRegistrations()"
                      ".then(rs => Promise.all(rs.map(r => r.unregister())))")
        page.goto(f"{base}{case}", wait_until="load")
        runs["first visit"] = page.evaluate(TIMING)
        page.evaluate("navigator.serviceWorker.register('/sw.js').then(() => navigator.serviceWorker.ready)")
        page.goto(f"{base}{case}", wait_until="load")  # the worker installs its shell
        page.goto(f"{base}{case}", wait_until="load")
        runs["with the app shell"] = page.evaluate(TIMING)
        browser.close()
    result = write("mobile", {"network": "slow 4G (150 ms, 1.6 Mbit/s down)", "page": "case page", "runs": runs})
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main(*sys.argv[1:])
