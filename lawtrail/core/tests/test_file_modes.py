"""What LawTrail writes to the local disk is readable by the service's own account only,
whatever the umask: LAWTRAIL_HOME and every directory under it 0700, the SQLite database
(and its WAL), the keys and partial uploads 0600, stored originals 0400."""

import os
import stat
import subprocess
import sys

from lawtrail.media import services, uploads

FIRST_RUN = """
import django
django.setup()
from django.core.management import call_command
from lawtrail.blobs import blob_store
from lawtrail.ledger.keys import private_key
from lawtrail.media.uploads import upload_dir

call_command("migrate", verbosity=0)
private_key()
upload_dir()
blob_store().put(b"a recording")
"""


def modes(root):
    """{path relative to root: permission bits} of root and everything under it."""
    found = {".": stat.S_IMODE(root.stat().st_mode)}
    for path in root.rglob("*"):
        found[str(path.relative_to(root))] = stat.S_IMODE(path.lstat().st_mode)
    return found


def test_a_new_home_with_its_database_keys_and_originals_is_private(tmp_path):
    home = tmp_path / "home"
    env = {**os.environ, "LAWTRAIL_HOME": str(home), "DJANGO_SETTINGS_MODULE": "lawtrail.settings"}
    env.pop("DATABASE_URL", None)
    env.pop("LAWTRAIL_STORAGE", None)
    # umask 022, the usual default, would make everything readable by every local user.
    result = subprocess.run([sys.executable, "-c", FIRST_RUN], env=env, capture_output=True, text=True,
                            timeout=300, preexec_fn=lambda: os.umask(0o022))
    assert result.returncode == 0, result.stderr
    found = modes(home)
    assert {"lawtrail.sqlite3", "secret_key", "keys/ledger-ed25519.pem", "uploads", "static", "blobs/tmp"} <= set(found)
    [blob] = [name for name in found if name.startswith("blobs/") and len(name.rsplit("/", 1)[-1]) == 64]
    for name, mode in found.items():
        is_dir = (home / name).is_dir()
        expected = 0o700 if is_dir else 0o400 if name == blob else 0o600
        assert mode == expected, f"{name}: {oct(mode)}"


def test_a_partial_upload_is_private_from_its_first_byte(org):
    case = org.open_case()
    previous = os.umask(0o022)
    try:
        upload = services.upload_create(actor=org.officer_users[0], length=10, metadata={
            "filename": "现场.mp4", "case_no": case.case_no, "officer_cert": org.officers[0].cert_no})
    finally:
        os.umask(previous)
    part = uploads.upload_dir() / f"{upload.id}.part"
    assert stat.S_IMODE(part.stat().st_mode) == 0o600
    assert stat.S_IMODE(uploads.upload_dir().stat().st_mode) == 0o700
