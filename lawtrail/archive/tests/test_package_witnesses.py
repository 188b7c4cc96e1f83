"""The witnesses' cosignatures travel in every package and verify offline."""

import json

import pytest

from lawtrail.archive.package import package_export
from lawtrail.archive.tests.test_package import rewrite_manifests, run_verifier
from lawtrail.witness.testing import running_witnesses


@pytest.fixture
def witnessed_bag(full_case, org, tmp_path, settings):
    with running_witnesses(tmp_path, settings) as witnesses:
        witnesses[1].stop()  # one witness offline while the package is made
        summary = package_export(actor=org.head, case=full_case, out_dir=tmp_path / "package")
        yield summary.path, witnesses


def test_the_package_carries_cosignatures_that_verify_offline(witnessed_bag):
    bag, (online, offline) = witnessed_bag
    code, out = run_verifier(bag, "--json")
    report = json.loads(out)
    assert code == 0, out
    assert [w["name"] for w in report["witnesses"]] == [online.witness.name]
    assert any(offline.witness.name in note and "未联署" in note for note in report["notes"])
    readme = (bag / "README.txt").read_text(encoding="utf-8")
    assert online.witness.verifier.text() in readme and offline.witness.verifier.text() in readme
    code, out = run_verifier(bag)
    assert f"见证服务 {online.witness.name} 联署了检查点" in out


def test_a_forged_cosignature_in_the_package_is_named(witnessed_bag):
    bag, (online, _) = witnessed_bag
    path = bag / "data" / "ledger" / "checkpoint.txt"
    lines = path.read_text(encoding="utf-8").split("\n")
    i = next(i for i, line in enumerate(lines) if line.startswith(f"\u2014 {online.witness.name} "))
    data = lines[i].rsplit(" ", 1)[1]
    lines[i] = lines[i][:-len(data)] + data[:20] + ("A" if data[20] != "A" else "B") + data[21:]
    path.write_text("\n".join(lines), encoding="utf-8")
    rewrite_manifests(bag)
    code, out = run_verifier(bag)
    assert code == 1 and "联署签名无效" in out
