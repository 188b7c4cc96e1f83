"""Production mode (LAWTRAIL_PRODUCTION=true) for real: `lawtrail serve` starts and serves the
sign-in page, a case page and the collected static files; `check --deploy` says what is wrong."""

import json
import os
import subprocess
import sys

import pytest
from django.db import connection

from lawtrail.core.tests.server import HTTPS, check_production, free_port, production_env, seed, start, stop

SECRET = "k" * 20 + "production-secret-key-with-enough-entropy-0123456789"


# It serves its own SQLite home, so the PostgreSQL pass would only repeat it.
@pytest.mark.skipif(connection.vendor != "sqlite", reason="runs its own SQLite server; once is enough")
def test_lawtrail_serve_in_production_mode_serves_pages_and_static_files(tmp_path):
    env = production_env(tmp_path / "home")
    facts = seed(env)
    port = free_port()
    with open(tmp_path / "serve.log", "w+") as log:
        try:
            server = start(env, port, options=("--workers", "1"), headers=HTTPS, log=log)
        except RuntimeError:
            log.seek(0)
            pytest.fail(log.read()[-5000:])
        try:
            rows = check_production(f"http://127.0.0.1:{port}", facts["username"], facts["password"])
        finally:
            stop(server)
    assert [(what, path, got) for what, path, expected, got in rows if got != expected] == []


def deploy_check(env):
    result = subprocess.run([sys.executable, "-m", "django", "check", "--deploy", "--fail-level", "WARNING"],
                            env=env, capture_output=True, text=True, timeout=120)
    return result.returncode, result.stdout + result.stderr


def test_deploy_check_names_what_production_mode_lacks_and_is_clean_once_set_up(tmp_path):
    home = tmp_path / "home"
    env = {**production_env(home), "SECRET_KEY": SECRET, "ALLOWED_HOSTS": "lawtrail.example.gov.cn",
           "LAWTRAIL_PUBLIC_URL": "https://lawtrail.example.gov.cn"}
    status, output = deploy_check(env)
    assert status == 1 and "lawtrail.E001" in output and "collectstatic" in output  # every page would fail

    subprocess.run([sys.executable, "-m", "django", "collectstatic", "--noinput"], env=env, check=True,
                   capture_output=True, timeout=300)
    status, output = deploy_check(env)
    assert status == 0 and "no issues" in output, output

    manifest = home / "static" / "staticfiles.json"
    collected = json.loads(manifest.read_text())
    del collected["paths"]["web/upload.js"]  # collected by an older version, without it
    manifest.write_text(json.dumps(collected))
    status, output = deploy_check(env)
    assert status == 1 and "lawtrail.E002" in output and "web/upload.js" in output

    os.chmod(home, 0o755)  # as older versions made it
    status, output = deploy_check(env)
    assert "lawtrail.W001" in output and f"chmod 700 {home}" in output

    del env["LAWTRAIL_PUBLIC_URL"]  # the documents' QR codes would point to the server itself
    status, output = deploy_check(env)
    assert status == 1 and "lawtrail.W002" in output and "http://127.0.0.1:8000" in output
