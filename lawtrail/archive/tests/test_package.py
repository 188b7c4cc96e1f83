"""Evidence packages: BagIt-valid, verifiable offline, and every tampering is named."""

import hashlib
import json
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import bagit
import pytest
from django.conf import settings
from django.test import override_settings

from lawtrail.archive.package import package_export
from lawtrail.blobs import blob_store
from lawtrail.core.errors import Conflict, InvalidInput
from lawtrail.ledger.models import Entry
from lawtrail.testing import replace_blob, sign_in


def run_verifier(bag, *args):
    result = subprocess.run([sys.executable, str(bag / "verify.py"), *args], capture_output=True, text=True,
                            cwd=bag)
    return result.returncode, result.stdout


def verifier_problems(bag):
    code, out = run_verifier(bag, "--json")
    report = json.loads(out)
    assert (code == 0) == report["ok"]
    return report["problems"]


def flip_byte(path, offset=-10):
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def rewrite_manifests(bag):
    """What a careful forger would do: recompute the bag's own manifests after a change."""
    lines = []
    for name in sorted(p for p in (bag / "data").rglob("*") if p.is_file()):
        lines.append(f"{hashlib.sha256(name.read_bytes()).hexdigest()}  {name.relative_to(bag).as_posix()}\n")
    (bag / "manifest-sha256.txt").write_text("".join(lines), encoding="utf-8")
    tags = []
    for name in ("bagit.txt", "bag-info.txt", "manifest-sha256.txt", "verify.py", "README.txt"):
        tags.append(f"{hashlib.sha256((bag / name).read_bytes()).hexdigest()}  {name}\n")
    (bag / "tagmanifest-sha256.txt").write_text("".join(tags), encoding="utf-8")


@pytest.fixture
def bag(full_case, org, tmp_path):
    summary = package_export(actor=org.head, case=full_case, out_dir=tmp_path / "package")
    return summary.path


def test_the_package_is_a_valid_bag_holding_the_originals_byte_for_byte(bag, full_case):
    bagit.Bag(str(bag)).validate()
    result = subprocess.run([str(Path(sys.executable).parent / "bagit.py"), "--validate", str(bag)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    [video] = (bag / "data/recordings").glob(f"{full_case.video.pk}_*.mp4")
    assert hashlib.sha256(video.read_bytes()).hexdigest() == full_case.video.sha256
    assert len(list((bag / "data/records").glob("*.pdf"))) == full_case.records.filter(status="final").count()
    assert (bag / "data/casefile/案卷_v1.pdf").read_bytes().startswith(b"%PDF")
    assert list((bag / "data/attachments").glob("*_现场照片.png"))
    info = (bag / "bag-info.txt").read_text(encoding="utf-8")
    assert f"External-Identifier: {full_case.case_no}" in info and "Payload-Oxum: " in info


def test_metadata_comes_as_json_and_xml_with_retention(bag, full_case):
    metadata = json.loads((bag / "data/metadata.json").read_text(encoding="utf-8"))
    assert metadata["case"]["case_no"] == full_case.case_no
    video = next(o for o in metadata["objects"] if o["object_type"] == "media.recording"
                 and o["object_id"] == str(full_case.video.pk))
    assert video["content"]["sha256"] == full_case.video.sha256
    assert video["retention"]["class"] == "30 年" and "003 第二十五条" in video["retention"]["basis"]
    root = ET.parse(bag / "data/metadata.xml").getroot()
    assert root.find("case/case_no").text == full_case.case_no
    assert len(root.findall("objects/item")) == len(metadata["objects"])


def test_the_bundled_verifier_passes_an_untouched_package(bag):
    code, out = run_verifier(bag)
    assert code == 0 and "校验通过" in out


def test_a_changed_byte_in_a_recording_is_rejected_by_bagit_and_named_by_the_verifier(bag, full_case):
    [video] = (bag / "data/recordings").glob(f"{full_case.video.pk}_*.mp4")
    flip_byte(video)
    with pytest.raises(bagit.BagValidationError):
        bagit.Bag(str(bag)).validate()
    problems = verifier_problems(bag)
    assert any(p["ref"] == video.relative_to(bag).as_posix() and "被修改" in p["message"] for p in problems)


def test_a_forger_who_rewrites_the_manifests_is_still_caught_by_the_ledger(bag, full_case):
    [video] = (bag / "data/recordings").glob(f"{full_case.video.pk}_*.mp4")
    flip_byte(video)
    rewrite_manifests(bag)
    bagit.Bag(str(bag)).validate()  # the bag alone cannot tell
    problems = verifier_problems(bag)
    assert any(video.name in p["ref"] or video.name in p["message"] for p in problems), problems
    assert any("账本记载的 SHA-256 不符" in p["message"] for p in problems)


def test_a_changed_ledger_entry_is_named(bag, full_case):
    entries = bag / "data/ledger/entries.jsonl"
    lines = entries.read_bytes().split(b"\n")
    target = json.loads(lines[0])
    at = lines[0].index(b'"actor":"') + len(b'"actor":"')
    lines[0] = lines[0][:at] + (b"X" if lines[0][at:at + 1] != b"X" else b"Y") + lines[0][at + 1:]
    entries.write_bytes(b"\n".join(lines))
    problems = verifier_problems(bag)
    assert any(p["ref"] == "data/ledger/entries.jsonl" for p in problems)
    rewrite_manifests(bag)
    problems = verifier_problems(bag)
    assert [p["ref"] for p in problems] == [f"账本条目 {target['seq']}"]
    assert "被篡改" in problems[0]["message"]


def test_a_changed_object_content_is_named(bag, full_case):
    metadata_path = bag / "data/metadata.json"
    metadata = json.loads(metadata_path.read_text(encoding="utf-8"))
    case_obj = next(o for o in metadata["objects"] if o["object_type"] == "cases.case")
    case_obj["content"]["title"] = "被改过的案由"
    metadata_path.write_text(json.dumps(metadata, ensure_ascii=False), encoding="utf-8")
    rewrite_manifests(bag)
    problems = verifier_problems(bag)
    assert any(p["ref"] == f"案件 {full_case.case_no}" and "被篡改" in p["message"] for p in problems)


def test_a_forged_checkpoint_signature_fails(bag):
    path = bag / "data/ledger/checkpoint.json"
    checkpoint = json.loads(path.read_text())
    checkpoint["signature"] = checkpoint["signature"][:10] + ("A" if checkpoint["signature"][10] != "A" else "B") \
        + checkpoint["signature"][11:]
    path.write_text(json.dumps(checkpoint))
    rewrite_manifests(bag)
    assert any("签名无效" in p["message"] for p in verifier_problems(bag))


def test_added_and_removed_files_are_named(bag):
    (bag / "data/extra.txt").write_text("多出来的文件")
    removed = next((bag / "data/signatures").iterdir())
    removed.unlink()
    problems = {p["ref"]: p["message"] for p in verifier_problems(bag)}
    assert "被添加" in problems["data/extra.txt"]
    assert "被删除" in problems[removed.relative_to(bag).as_posix()]


def test_the_export_is_in_the_ledger_and_covered_by_the_package(bag, full_case):
    entry = Entry.objects.filter(scope=full_case.scope, action="case.export").get()
    lines = (bag / "data/ledger/entries.jsonl").read_bytes().split(b"\n")
    assert any(json.loads(line)["seq"] == entry.seq for line in lines if line)


def test_agencies_configured_for_guomi_get_an_sm3_manifest(full_case, org, tmp_path):
    with override_settings(LAWTRAIL_SM3_AGENCIES=frozenset({org.agency.code})):
        summary = package_export(actor=org.head, case=full_case, out_dir=tmp_path / "sm3")
    assert summary.sm3
    sm3 = dict(line.split("  ", 1)[::-1] for line in
               (summary.path / "manifest-sm3.txt").read_text(encoding="utf-8").splitlines())
    metadata = summary.path / "data/metadata.json"
    assert sm3["data/metadata.json"] == hashlib.new("sm3", metadata.read_bytes()).hexdigest()
    bagit.Bag(str(summary.path)).validate()
    assert run_verifier(summary.path)[0] == 0
    flip_byte(metadata)
    assert any("SM3" in p["message"] for p in verifier_problems(summary.path))


def test_a_damaged_original_stops_the_export_and_leaves_nothing(full_case, org, tmp_path):
    original = blob_store().open(full_case.video.sha256).read()
    replace_blob(full_case.video.sha256, b"corrupted")
    out = tmp_path / "exports"
    try:
        with pytest.raises(Conflict, match="已损坏"):
            package_export(actor=org.head, case=full_case, out_dir=out / "package")
    finally:  # the store is shared by the whole session (and content-addressed)
        replace_blob(full_case.video.sha256, original)
    assert list(out.iterdir()) == []


def test_the_export_refuses_a_directory_that_is_not_empty(full_case, org, tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("已有内容")
    with pytest.raises(InvalidInput, match="不为空"):
        package_export(actor=org.head, case=full_case, out_dir=tmp_path / "out")
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["keep.txt"]


def test_the_cli_exports_a_package(full_case, tmp_path, capsys):
    from lawtrail.cli import cmd_export, build_parser

    args = build_parser().parse_args(["export", full_case.case_no, "--out", str(tmp_path / "cli"), "--json"])
    assert cmd_export(args) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["files"] > 5
    assert run_verifier(tmp_path / "cli")[0] == 0
    args = build_parser().parse_args(["export", "没有这个案号", "--out", str(tmp_path / "x")])
    assert cmd_export(args) == 2


def test_the_package_downloads_as_a_zip_through_the_api(full_case, org, tmp_path):
    from lawtrail.org.services import token_create
    from django.test import Client

    client = Client(HTTP_AUTHORIZATION=f"Bearer {token_create(actor=None, username=org.head.username)}")
    response = client.get(f"/api/cases/{full_case.pk}/package")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    path = tmp_path / "download.zip"
    path.write_bytes(b"".join(response.streaming_content))
    with zipfile.ZipFile(path) as zf:
        zf.extractall(tmp_path / "unzipped")
    [bag] = (tmp_path / "unzipped").iterdir()
    bagit.Bag(str(bag)).validate()
    assert run_verifier(bag)[0] == 0
    assert list((settings.LAWTRAIL_HOME / "exports").iterdir()) == []  # the server kept no copy


def test_only_people_with_a_part_in_the_case_may_take_a_package(full_case, org, other_org):
    from django.test import Client

    from lawtrail.org.enums import Role

    colleague = org.user(Role.OFFICER)  # sees the department's cases, does not handle this one
    elsewhere = org.user(Role.OFFICER, department=org.legal)
    for user, status in ((colleague, 403), (elsewhere, 404), (other_org.head, 404), (org.users[Role.ARCHIVIST], 200)):
        client = Client()
        sign_in(client, user)
        response = client.get(f"/api/cases/{full_case.pk}/package")
        assert response.status_code == status
        if status == 403:
            assert "承办人" in response.json()["detail"]
