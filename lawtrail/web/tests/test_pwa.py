"""The installable app: manifest and service worker."""

from django.test import Client

from lawtrail.web.pwa_views import SHELL, shell_size


def test_the_manifest_names_the_app_and_its_icons():
    manifest = Client().get("/manifest.webmanifest")
    assert manifest["Content-Type"] == "application/manifest+json"
    data = manifest.json()
    assert data["name"] == "执法全过程记录系统" and data["display"] == "standalone" and data["start_url"] == "/"
    assert {icon["sizes"] for icon in data["icons"]} == {"192x192", "512x512"}


def test_the_service_worker_precaches_the_app_shell_under_a_megabyte():
    worker = Client().get("/sw.js")
    assert worker.status_code == 200 and worker["Content-Type"].startswith("application/javascript")
    assert worker["Service-Worker-Allowed"] == "/"
    body = worker.content.decode()
    assert all(f"/static/{name}" in body for name in SHELL)
    assert 0 < shell_size() < 1_000_000


def test_a_changed_shell_file_makes_a_new_worker(monkeypatch, tmp_path):
    from lawtrail.web import pwa_views

    before = Client().get("/sw.js").content
    changed = tmp_path / "app.css"
    changed.write_text("body { color: red; }")
    real = pwa_views.finders.find
    monkeypatch.setattr(pwa_views.finders, "find", lambda name: str(changed) if name == "web/app.css" else real(name))
    assert Client().get("/sw.js").content != before


def test_the_browsers_own_favicon_request_gets_the_apps_icon():
    answer = Client().get("/favicon.ico", follow=True)  # signed out, as a PDF tab asks
    assert answer.status_code == 200 and answer.redirect_chain[0][1] == 302
    assert answer.redirect_chain[0][0].endswith("web/icon-192.png")
    assert b"".join(answer.streaming_content if answer.streaming else [answer.content]).startswith(b"\x89PNG")
