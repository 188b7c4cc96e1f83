"""Retention classes and expiry per profile, the longest period winning, holds stopping expiry."""

import datetime

import pytest
from dateutil.relativedelta import relativedelta
from django.utils import timezone

from lawtrail.archive.models import Circumstance, HoldKind
from lawtrail.archive.retention import record_retention, recording_retention, validate_block
from lawtrail.archive.services import hold_place, hold_release, retention_mark
from lawtrail.cases.enums import MatterType
from lawtrail.org.enums import Role
from lawtrail.regulations.profiles import profiles
from lawtrail.samples import make_video
from lawtrail.testing import Org

from .conftest import evidence_note, ingest

pytestmark = pytest.mark.django_db
RECORDED = timezone.now().replace(microsecond=0) - datetime.timedelta(days=100)


def recorded_day():
    return timezone.localdate(RECORDED)


def archived(org, case):
    org.conclude(case)
    org.final_record(case, "closing_report")
    org.archive(case)
    case.refresh_from_db()
    return case


def a_recording(org, case, tmp_path, activity="site_inspection", seconds=1):
    """A distinct video (its length makes its bytes differ), recorded on RECORDED."""
    return ingest(org, case, make_video(tmp_path / f"{activity}.mp4", seconds=seconds, creation_time=RECORDED),
                  activity=activity)


def test_every_profile_has_a_valid_retention_block():
    for profile in profiles().values():
        validate_block(profile.id, profile.get("retention"))
    with pytest.raises(ValueError, match="exactly one"):
        validate_block("000", {"av": [{"when": [], "years": 2, "permanent": True, "label": "x", "cite": "000 第二十六条"}]})
    with pytest.raises(ValueError, match="unknown retention condition"):
        validate_block("000", {"av": [{"when": ["sunny"], "years": 2, "label": "x", "cite": "000 第二十六条"}]})


def test_000_keeps_raw_footage_two_years_and_penalty_evidence_for_ever(tmp_path):
    org = Org("r", profile="000")
    case = org.open_case()
    org.final_record(case, "filing_approval")
    raw = a_recording(org, case, tmp_path)
    evidence = a_recording(org, case, tmp_path, activity="inquiry", seconds=2)
    assert evidence.pk != raw.pk
    evidence_note(org, case, evidence)
    retention = recording_retention(raw)
    assert retention.expires_on == recorded_day() + relativedelta(years=2)
    assert retention.period.cite == "000 第二十六条" and not retention.pending
    forever = recording_retention(evidence)
    assert forever.permanent and forever.period.cite == "000 第二十六条"
    assert "作为行政处罚证据使用" in forever.period.label
    assert len(forever.candidates) == 3  # 2 years, the case file, permanent: the longest wins


def test_000_obstruction_makes_footage_permanent(tmp_path):
    org = Org("r", profile="000")
    case = org.open_case(matter_type=MatterType.INSPECTION)
    recording = a_recording(org, case, tmp_path)
    assert not recording_retention(recording).permanent
    retention_mark(actor=org.officer_users[0], case=case, recording=recording,
                   circumstance=Circumstance.OBSTRUCTION, reason="当事人推搡执法人员")
    assert recording_retention(recording).permanent


def test_001_keeps_everything_with_the_case_file_from_archiving(tmp_path):
    org = Org("r", profile="001")
    case = org.open_case()
    org.final_record(case, "filing_approval")
    recording = a_recording(org, case, tmp_path)
    retention = recording_retention(recording)
    assert retention.pending and retention.expires_on is None and "尚未归档" in retention.summary
    case = archived(org, case)
    retention = recording_retention(case.recordings.get())
    assert retention.expires_on == timezone.localdate(case.archived_at) + relativedelta(years=30)
    assert retention.period.cite == "001 第二十三条"


def test_002_patrol_footage_six_months_evidence_with_the_file_complaints_long_term(tmp_path):
    org = Org("r", profile="002")
    patrol_case = org.open_case(matter_type=MatterType.PATROL)
    patrol = a_recording(org, patrol_case, tmp_path, activity="patrol")
    retention = recording_retention(patrol)
    assert retention.expires_on == recorded_day() + relativedelta(months=6)
    assert retention.period.text == "6 个月" and retention.period.cite == "002 第十一条"

    case = org.open_case()
    org.final_record(case, "filing_approval")
    evidence = a_recording(org, case, tmp_path)
    evidence_note(org, case, evidence)
    case = archived(org, case)
    retention = recording_retention(case.recordings.get(pk=evidence.pk))
    assert retention.period.label.startswith("一般程序处罚、强制案件中作为证据使用")
    assert retention.expires_on == timezone.localdate(case.archived_at) + relativedelta(years=30)

    retention_mark(actor=org.users[Role.ARCHIVIST], case=patrol_case, circumstance=Circumstance.OBJECTION,
                   reason="当事人对巡查结果提出异议并上访")
    long_term = recording_retention(patrol)
    assert long_term.period.cite == "002 第十二条" and long_term.period.years == 30


def test_003_footage_follows_the_case_file_or_is_kept_for_ever(tmp_path):
    org = Org("r", profile="003")
    case = org.open_case()
    recording = a_recording(org, case, tmp_path)
    assert recording_retention(recording).period.cite == "003 第二十五条"
    retention_mark(actor=org.head, case=case, circumstance=Circumstance.INCIDENT, reason="群体性事件现场")
    assert recording_retention(recording).permanent


def test_004_case_files_are_kept_five_years(tmp_path):
    org = Org("r", profile="004")
    case = org.open_case()
    org.final_record(case, "filing_approval")
    recording = a_recording(org, case, tmp_path)
    case = archived(org, case)
    record = case.records.first()
    for retention in (record_retention(record), recording_retention(case.recordings.get(pk=recording.pk))):
        assert retention.period.years == 5
        assert retention.expires_on == timezone.localdate(case.archived_at) + relativedelta(years=5)
    assert record_retention(record).period.cite == "004 第三十三条"


def test_a_hold_stops_expiry_until_released(tmp_path):
    org = Org("r", profile="002")
    case = org.open_case(matter_type=MatterType.PATROL)
    recording = a_recording(org, case, tmp_path, activity="patrol")
    hold = hold_place(actor=org.users[Role.ARCHIVIST], case=case, kind=HoldKind.LITIGATION,
                      reason="当事人提起行政诉讼")
    retention = recording_retention(recording)
    assert retention.held and "行政诉讼期间暂停到期" in retention.summary
    after_expiry = retention.expires_on + datetime.timedelta(days=1)
    assert not retention.expired(after_expiry)
    hold_release(actor=org.users[Role.ARCHIVIST], hold=hold, reason="判决生效")
    assert recording_retention(recording).expired(after_expiry)
    with pytest.raises(Exception, match="已经解除"):
        hold_release(actor=org.users[Role.ARCHIVIST], hold=hold, reason="再次解除")


def test_only_archive_heads_and_supervisors_place_holds(org):
    case = org.open_case()
    with pytest.raises(Exception, match="须由"):
        hold_place(actor=org.officer_users[0], case=case, kind=HoldKind.REVIEW, reason="复议")
    with pytest.raises(Exception, match="保全事由无效"):
        hold_place(actor=org.head, case=case, kind="whim", reason="无")
