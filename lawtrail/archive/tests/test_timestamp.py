"""RFC 3161 time-stamps on evidence packages, from a real TSA: `openssl ts -reply` behind a
small HTTP server, with its own root and a time-stamping certificate."""

import http.server
import subprocess
import threading

import bagit
import pytest
from django.test import override_settings

from lawtrail.archive.package import package_export
from lawtrail.archive.tests.test_package import flip_byte, rewrite_manifests, run_verifier, verifier_problems
from lawtrail.archive.timestamp import TimestampUnavailable
from lawtrail.cli import main

TSR = "timestamp/tagmanifest-sha256.txt.tsr"

TSA_CONFIG = """
[ tsa ]
default_tsa = tsa_config
[ tsa_config ]
dir = {dir}
serial = $dir/serial
crypto_device = builtin
signer_cert = $dir/tsa.pem
certs = $dir/tsa.pem
signer_key = $dir/tsa.key
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = yes
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_authority(directory, name):
    """A root and a TSA certificate it issued (critical EKU timeStamping, as RFC 3161 asks)."""
    directory.mkdir()
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "30",
            "-subj", f"/CN={name} Root", "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=directory)
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "tsa.key", "-out", "tsa.csr", "-subj", f"/CN={name}",
            cwd=directory)
    (directory / "ext.cnf").write_text("basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n"
                                       "extendedKeyUsage=critical,timeStamping\n")
    openssl("x509", "-req", "-in", "tsa.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
            "-out", "tsa.pem", "-days", "30", "-extfile", "ext.cnf", cwd=directory)
    (directory / "serial").write_text("01\n")
    (directory / "tsa.cnf").write_text(TSA_CONFIG.format(dir=directory))
    return directory


@pytest.fixture
def tsa(tmp_path):
    """A running TSA: yields (url, the PEM of its root, the directory of another authority)."""
    authority = make_authority(tmp_path / "tsa", "LawTrail 测试时间戳服务")
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            query = self.rfile.read(int(self.headers["Content-Length"]))
            with lock:
                (authority / "query.tsq").write_bytes(query)
                openssl("ts", "-reply", "-config", "tsa.cnf", "-queryfile", "query.tsq", "-out", "reply.tsr",
                        cwd=authority)
                reply = (authority / "reply.tsr").read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/tsa", authority / "ca.pem", tmp_path
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def stamped(tsa, full_case, org, tmp_path):
    url, roots, _ = tsa
    with override_settings(LAWTRAIL_TSA_URL=url, LAWTRAIL_TSA_CERTS=str(roots)):
        return package_export(actor=org.head, case=full_case, out_dir=tmp_path / "package")


def test_a_stamped_package_carries_a_verified_timestamp_over_its_tag_manifest(stamped, tsa):
    bag = stamped.path
    assert stamped.timestamp is not None and stamped.timestamp.serial >= 1
    assert (bag / TSR).exists() and (bag / "timestamp/tsa-certs.pem").read_bytes() == tsa[1].read_bytes()
    bagit.Bag(str(bag)).validate()
    code, out = run_verifier(bag)
    assert code == 0 and "签名经 openssl 核验有效" in out
    assert f"{stamped.timestamp.gen_time:%Y-%m-%d %H:%M}" in out  # the stamped time, read by the verifier itself
    check = subprocess.run(["openssl", "ts", "-verify", "-data", "tagmanifest-sha256.txt", "-in", TSR,
                            "-CAfile", "timestamp/tsa-certs.pem"], cwd=bag, capture_output=True, text=True)
    assert check.returncode == 0 and "Verification: OK" in check.stdout


def test_a_forger_who_rewrites_every_manifest_is_caught_by_the_timestamp(stamped):
    bag = stamped.path
    flip_byte(bag / "data/metadata.xml")
    rewrite_manifests(bag)
    bagit.Bag(str(bag)).validate()  # the bag alone cannot tell
    problems = verifier_problems(bag)
    assert any(p["ref"] == TSR and "不符" in p["message"] for p in problems)


def test_a_changed_byte_in_the_timestamp_is_named(stamped):
    bag = stamped.path
    flip_byte(bag / TSR, -40)  # inside the signature
    problems = verifier_problems(bag)
    assert [p["ref"] for p in problems] == [TSR] and "openssl" in problems[0]["message"]


def test_the_cli_reports_the_timestamp(tsa, full_case, tmp_path, capsys):
    url, roots, _ = tsa
    with override_settings(LAWTRAIL_TSA_URL=url, LAWTRAIL_TSA_CERTS=str(roots)):
        assert main(["export", full_case.case_no, "--out", str(tmp_path / "cli")]) == 0
    out = capsys.readouterr().out
    assert "可信时间戳（RFC 3161）" in out and url in out


def test_a_tsa_that_cannot_be_reached_stops_the_export_and_leaves_nothing(full_case, org, tmp_path):
    with override_settings(LAWTRAIL_TSA_URL="http://127.0.0.1:9/tsa", LAWTRAIL_TSA_CERTS=str(
            make_authority(tmp_path / "ca", "其他") / "ca.pem")):
        with pytest.raises(TimestampUnavailable, match="无法访问") as caught:
            package_export(actor=org.head, case=full_case, out_dir=tmp_path / "package")
    assert caught.value.status == 503
    assert not (tmp_path / "package").exists() and not list(tmp_path.glob(".package.partial-*"))


def test_an_answer_signed_under_another_root_is_refused(tsa, full_case, org, tmp_path):
    url, _, work = tsa
    stranger = make_authority(work / "stranger", "陌生机构")
    with override_settings(LAWTRAIL_TSA_URL=url, LAWTRAIL_TSA_CERTS=str(stranger / "ca.pem")):
        with pytest.raises(TimestampUnavailable, match="未通过核验"):
            package_export(actor=org.head, case=full_case, out_dir=tmp_path / "package")
    assert not (tmp_path / "package").exists()


def test_a_tsa_without_certificates_to_check_it_is_a_configuration_error(tsa, full_case, org, tmp_path):
    with override_settings(LAWTRAIL_TSA_URL=tsa[0], LAWTRAIL_TSA_CERTS=""):
        with pytest.raises(TimestampUnavailable, match="LAWTRAIL_TSA_CERTS"):
            package_export(actor=org.head, case=full_case, out_dir=tmp_path / "package")
    assert not (tmp_path / "package").exists()
