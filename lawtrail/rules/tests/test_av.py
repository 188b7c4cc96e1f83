"""音像记录 rules: footage stored in time, recorded without unexplained breaks where it must
be, and present for every step the regulation says must be filmed."""

import datetime

from django.utils import timezone

from lawtrail.media.services import gap_explain
from lawtrail.media.tests.test_recordings import CST, ingest, segments
from lawtrail.rules.base import NOT_APPLICABLE, SATISFIED, VIOLATED
from lawtrail.rules.tests.matrix import Cases, final, matrix_test, verdict
from lawtrail.samples import make_video
from lawtrail.testing import Org

T0 = datetime.datetime(2026, 11, 20, 9, 0, tzinfo=CST)


def uploaded_at_once(org, profile, tmp_path):
    case = org.open_case()
    ingest(org, case, make_video(tmp_path / "ok.mp4", seconds=1, creation_time=timezone.now()))
    return verdict(case, "av.upload_deadline")


def uploaded_a_month_late(org, profile, tmp_path):
    case = org.open_case()
    ingest(org, case, make_video(tmp_path / "late.mp4", seconds=1,
                                 creation_time=timezone.now() - datetime.timedelta(days=30)))
    return verdict(case, "av.upload_deadline")


def interrupted(org, case, tmp_path):
    """Two recordings of a site inspection three minutes apart: a break in the footage."""
    return segments(org, case, tmp_path, "site_inspection", [T0, T0 + datetime.timedelta(minutes=3)])


def break_explained(org, profile, tmp_path):
    case = org.open_case()
    first, second = interrupted(org, case, tmp_path)
    gap_explain(actor=org.officer_users[0], before=first, after=second, reason_kind="written", reason="设备故障")
    return verdict(case, "av.continuous")


def break_unexplained(org, profile, tmp_path):
    case = org.open_case()
    interrupted(org, case, tmp_path)
    return verdict(case, "av.continuous")


def filmed_as_required(org, profile, tmp_path):
    item = profile.get("av_mandatory.items")[0]
    case = org.open_case()
    final(org, case, item["document"])
    ingest(org, case, make_video(tmp_path / "现场.mp4", seconds=1), activity=item["activity"])
    return verdict(case, "av.mandatory")


def not_filmed(org, profile, tmp_path):
    item = profile.get("av_mandatory.items")[0]
    case = org.open_case()
    final(org, case, item["document"])
    return verdict(case, "av.mandatory")


CASES = {
    "av.upload_deadline": Cases(uploaded_at_once, uploaded_a_month_late),
    # 001, 002 and 003 name no activity that must be recorded without a break: a break is no finding.
    "av.continuous": Cases(break_explained, break_unexplained, lambda profile: (
        (SATISFIED, VIOLATED) if profile.get("av.continuous.activities") else (NOT_APPLICABLE, NOT_APPLICABLE))),
    "av.mandatory": Cases(filmed_as_required, not_filmed),
}
test_each_rule_passes_and_fails_under_each_profile_that_uses_it = matrix_test(CASES)


def test_av_upload_deadline(db, tmp_path):
    org = Org("r1", profile="001")
    case = org.open_case()
    assert verdict(case, "av.upload_deadline").status == "na"
    ingest(org, case, make_video(tmp_path / "ok.mp4", seconds=1, creation_time=timezone.now()))
    assert verdict(case, "av.upload_deadline").status == "satisfied"
    ingest(org, case, make_video(tmp_path / "late.mp4", seconds=2,
                                 creation_time=timezone.now() - datetime.timedelta(days=2)))
    found = verdict(case, "av.upload_deadline")
    assert found.status == "violated" and "late.mp4" in found.result.message and found.cite == "001 第二十三条"


def test_av_continuous(org004, tmp_path):
    org = org004
    case = org.open_case()
    t0 = datetime.datetime(2026, 11, 20, 9, 0, tzinfo=CST)
    first, second = segments(org, case, tmp_path, "enforcement", [t0, t0 + datetime.timedelta(minutes=3)])
    found = verdict(case, "av.continuous")
    assert found.status == "violated" and "未说明中止原因" in found.result.message
    gap_explain(actor=org.officer_users[0], before=first, after=second, reason_kind="written", reason="设备故障")
    assert verdict(case, "av.continuous").status == "satisfied"


def test_av_mandatory(org004, tmp_path):
    org = org004
    case = org.open_case()
    assert verdict(case, "av.mandatory").status == "na"
    inspection = final(org, case, "site_inspection_record")
    found = verdict(case, "av.mandatory")
    assert found.status == "violated" and inspection.number in found.result.message
    assert "现场检查（勘验）" in found.result.message and found.cite == "004 第十五、二十三、二十八条"
    ingest(org, case, make_video(tmp_path / "检查.mp4", seconds=1), activity="site_inspection")
    assert verdict(case, "av.mandatory").status == "satisfied"
