"""The console command and the demo data, run in-process against the test database."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.utils import timezone

from lawtrail.archive.integrity import verify_ledger
from lawtrail.org.enums import TWO_FACTOR_ROLES
from lawtrail.cases.enums import STAGE_ORDER, Stage
from lawtrail.cases.models import Case
from lawtrail.cli import main
from lawtrail.demo import AGENCIES, load_demo
from lawtrail.ledger.models import Checkpoint
from lawtrail.media.models import Recording
from lawtrail.org.models import Agency, ApiToken, Officer, User
from lawtrail.org.services import token_user, two_factor_enrolment_check
from lawtrail.regulations.profiles import profiles


def test_demo_creates_the_five_agencies_with_cases_in_every_stage_once(db):
    accounts = load_demo()
    assert sorted(Agency.objects.values_list("profile", flat=True)) == sorted(profiles()) == ["000", "001", "002", "003", "004"]
    for agency in Agency.objects.all():
        stages = set(agency.cases.values_list("stage", flat=True))
        assert set(STAGE_ORDER) | {Stage.CLOSED} <= stages, agency
        assert agency.cases.filter(emergency=True).exists()
        approved = agency.cases.exclude(stage=Stage.INITIATION).exclude(procedure="simple").exclude(emergency=True)
        for case in approved.exclude(stage=Stage.CLOSED):
            approval = case.records.get(doc_type="filing_approval")
            assert approval.is_final and approval.number and approval.pdf_sha256, case
        assert agency.cases.filter(records__doc_type="inquiry_record", records__status="draft").exists()
        kinds = set(Recording.objects.filter(case__agency=agency).values_list("kind", flat=True))
        assert kinds == {"video", "audio", "photo"}, agency
        _assert_a_complete_penalty_case(agency)
    assert Officer.objects.filter(cert_valid_until__lt=timezone.localdate()).count() == len(AGENCIES)
    assert Checkpoint.objects.count() == 1
    assert verify_ledger().ok
    # Each account that signs in with a second factor gets its enrolment code, as from the admin.
    codes = accounts["codes"]
    assert set(codes) == set(User.objects.filter(role__in=TWO_FACTOR_ROLES).values_list("username", flat=True))
    assert two_factor_enrolment_check(actor=User.objects.get(username="cz.head"), code=codes["cz.head"])
    # Loading it again changes nothing (one test: building the demo takes a minute or two).
    count = Case.objects.count()
    load_demo()
    assert Case.objects.count() == count


def _assert_a_complete_penalty_case(agency):
    """One 行政处罚 case from 立案 to 已归档 with every document finalised, every family of
    layout among them, and nothing its profile asks for missing."""
    from lawtrail.records.catalog import doc_type
    from lawtrail.rules.engine import evaluate

    case = agency.cases.get(matter_type="penalty", stage=Stage.ARCHIVED)
    assert [t.name for t in case.transitions.all()] == ["approve_start", "submit_review", "decide", "conclude",
                                                        "archive"]
    records = list(case.records.all())
    assert records and all(r.is_final and r.pdf_sha256 for r in records), case
    assert {doc_type(r.doc_type).layout for r in records} >= {"transcript", "approval", "prose", "receipt", "list"}
    decision = next(r for r in records if r.doc_type == "decision")
    assert decision.title == "行政处罚决定书" and decision.data["fine_amount"] > 0
    assert [f.rule.id for f in evaluate(case) if f.status not in ("satisfied", "na")] == [], case


def test_cases_lists_every_case_as_json(org, capsys):
    case = org.open_case()
    assert main(["cases", "--json"]) == 0
    [row] = json.loads(capsys.readouterr().out)
    assert row == {"case_no": case.case_no, "agency": org.agency.name, "profile": "003", "stage": "initiation",
                   "stage_label": "程序启动", "parties": 1, "open_findings": 0}


def test_token_prints_a_working_token(org, capsys):
    assert main(["token", org.head.username]) == 0
    token = capsys.readouterr().out.strip()
    assert token_user(token) == org.head
    assert ApiToken.objects.get().token_hash not in token


def test_token_for_an_unknown_user_fails_with_a_message(db, capsys):
    assert main(["token", "nobody"]) == 2
    assert "用户 nobody 不存在" in capsys.readouterr().err


def test_ledger_checkpoint_prints_base64_json(org, capsys):
    assert main(["ledger", "checkpoint", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["tree_size"] > 0 and len(out["root_hash"]) == 44 and out["note"].endswith("\n")


def test_models_and_migrations_agree(db):
    result = subprocess.run([sys.executable, "manage.py", "makemigrations", "--check", "--dry-run"],
                            capture_output=True, text=True, env={**os.environ, "DJANGO_SETTINGS_MODULE": "lawtrail.settings_test"})
    assert result.returncode == 0, result.stdout + result.stderr


def test_profiles_lists_every_rule_with_each_profiles_citation(capsys):
    assert main(["profiles", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [p["id"] for p in data["profiles"]] == ["000", "001", "002", "003", "004"]
    rules = {r["id"]: r for r in data["rules"]}
    assert rules["av.upload_deadline"]["profiles"]["004"] == "004 第三十条"
    assert rules["archive.deadline"]["profiles"]["000"] == "000 第二十五条"
    assert main(["profiles"]) == 0 and "start.approval" in capsys.readouterr().out


def test_the_coverage_table_needs_no_argument_and_works_from_any_directory(tmp_path):
    """The regulation texts ship in the package: nothing beside the repository is read."""
    env = {**os.environ, "LAWTRAIL_HOME": str(tmp_path), "DJANGO_SETTINGS_MODULE": "lawtrail.settings"}
    env.pop("DATABASE_URL", None)
    result = subprocess.run([sys.executable, "-m", "lawtrail.cli", "profiles", "--coverage"], env=env,
                            cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    committed = (Path(__file__).resolve().parents[3] / "docs" / "coverage.md").read_text(encoding="utf-8")
    assert result.stdout.strip() == committed.strip()


def test_check_gives_the_findings_of_one_case_and_records_them(org, capsys):
    from lawtrail.rules.models import Finding

    case = org.open_case()
    assert main(["check", case.case_no, "--json", "--record"]) == 0
    rows = {r["rule"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["start.approval"]["status"] == "pending" and rows["start.approval"]["cite"] == "003 第九条"
    assert Finding.objects.filter(case=case, rule_id="start.approval", status="pending").exists()
    assert main(["check"]) == 0 and "待办" in capsys.readouterr().out
    assert main(["check", "没有这个案号"]) == 2
    others = [org.open_case() for _ in range(2)]
    Finding.objects.filter(case__in=others).delete()  # (no commit hooks ran: nothing stored for them yet)
    assert main(["check", "--record"]) == 0  # the scheduled pass over every case
    out = capsys.readouterr().out
    for other in others:
        assert other.case_no in out
        assert Finding.objects.get(case=other, rule_id="start.approval").status == "pending"
    assert main(["check", "--record"]) == 0 and Finding.objects.filter(case__in=others).count() == \
        len({(f.case_id, f.rule_id) for f in Finding.objects.filter(case__in=others)})  # once each


def test_a_pipe_closed_by_its_reader_ends_the_command_quietly(tmp_path):
    """`lawtrail cases | head`: when the reader stops, the command stops with the shell's
    status for a closed pipe and no traceback."""
    env = {**os.environ, "LAWTRAIL_HOME": str(tmp_path), "DJANGO_SETTINGS_MODULE": "lawtrail.settings"}
    env.pop("DATABASE_URL", None)
    process = subprocess.Popen([sys.executable, "-m", "lawtrail.cli", "profiles"], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()  # the reader is gone before the first line
    errors = process.stderr.read().decode()
    assert process.wait(timeout=60) == 141, errors
    assert "Traceback" not in errors and "BrokenPipeError" not in errors


@pytest.mark.parametrize("items", [[], [{"a": 1}], [{"案号": "测〔2026〕1号", "message": "第一行\n第二行", "due": None,
                                             "nested": {"list": [1, 2], "empty": {}}}, {"b": [[]]}, 3, "x"]])
def test_a_json_list_printed_item_by_item_is_the_same_text_as_printed_whole(items, capsys):
    """`lawtrail check --json` over every case streams its findings; the text is unchanged."""
    from lawtrail.cli import _print_json, _print_json_list

    _print_json(items)
    whole = capsys.readouterr().out
    assert _print_json_list(iter(items)) == len(items)
    assert capsys.readouterr().out == whole and json.loads(whole) == items
