"""The witnesses' cosignatures travel in every package and verify offline."""

import json

import pytest

from lawtrail.archive.package import package_export
from lawtrail.archive.tests.test_package import rewrite_manifests, run_verifier
from lawtrail.ledger.models import Cosignature
from lawtrail.ledger.services import ledger_checkpoint
from lawtrail.witness.tasks import submit_to_witnesses
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


@pytest.fixture
def silent_witness_bag(full_case, org, tmp_path, settings):
    """Both witnesses cosign a checkpoint; then one stops, and the package is made later."""
    with running_witnesses(tmp_path, settings) as witnesses:
        earlier = ledger_checkpoint()
        submit_to_witnesses(earlier)
        assert Cosignature.objects.filter(checkpoint=earlier).count() == 2
        witnesses[1].stop()
        summary = package_export(actor=org.head, case=full_case, out_dir=tmp_path / "package")
        assert summary.checkpoint_size > earlier.tree_size
        yield summary.path, witnesses, earlier


def test_a_silent_witness_vouches_through_its_earlier_checkpoint_and_a_consistency_proof(silent_witness_bag):
    bag, (online, offline), earlier = silent_witness_bag
    code, out = run_verifier(bag, "--json")
    report = json.loads(out)
    assert code == 0, out
    assert [(w["name"], w["earlier"]) for w in report["witnesses"]] == [
        (online.witness.name, False), (offline.witness.name, True)]
    assert report["witnesses"][1]["tree_size"] == earlier.tree_size
    assert any(offline.witness.name in note and "一致性证明有效" in note for note in report["notes"])
    code, out = run_verifier(bag)
    assert f"见证服务 {offline.witness.name} 联署了此前 {earlier.tree_size} 条的检查点" in out


def test_a_consistency_proof_that_does_not_lead_to_the_package_is_named(silent_witness_bag):
    bag, (_, offline), _ = silent_witness_bag
    path = bag / "data" / "ledger" / "witnessed.json"
    items = json.loads(path.read_text(encoding="utf-8"))
    items[0]["consistency_path"][0] = "00" * 32
    path.write_text(json.dumps(items), encoding="utf-8")
    rewrite_manifests(bag)
    code, out = run_verifier(bag)
    assert code == 1 and f"见证服务 {offline.witness.name} 联署的此前检查点" in out and "不一致" in out


def test_an_earlier_checkpoint_the_witness_did_not_cosign_is_named(silent_witness_bag):
    bag, (_, offline), earlier = silent_witness_bag
    path = bag / "data" / "ledger" / "witnessed.json"
    items = json.loads(path.read_text(encoding="utf-8"))
    items[0]["checkpoint"] = items[0]["checkpoint"].replace(f"\n{earlier.tree_size}\n", f"\n{earlier.tree_size - 1}\n")
    path.write_text(json.dumps(items), encoding="utf-8")
    rewrite_manifests(bag)
    code, out = run_verifier(bag)
    assert code == 1 and f"见证服务 {offline.witness.name} 对此前检查点的联署签名无效" in out
