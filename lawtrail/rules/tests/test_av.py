"""音像记录 rules: footage stored in time, recorded without unexplained breaks where it must
be, and present for every step the regulation says must be filmed."""

import datetime

from django.utils import timezone

from lawtrail.media.services import gap_explain
from lawtrail.media.tests.test_recordings import CST, ingest, segments
from lawtrail.records.catalog import doc_type
from lawtrail.rules.base import NOT_APPLICABLE, PENDING, SATISFIED, VIOLATED
from lawtrail.rules.tests.matrix import Cases, final, later, matrix_test, step, verdict
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
    """Nor said in writing why not (the field, where the document has it, left empty)."""
    item = profile.get("av_mandatory.items")[0]
    case = org.open_case()
    unexplained = {"no_av_reason": ""} if any(f.key == "no_av_reason" for f in doc_type(item["document"]).fields) else {}
    final(org, case, item["document"], **unexplained)
    return verdict(case, "av.mandatory")



def recorded(org, case, tmp_path, name="现场.mp4", **meta):
    [recording] = ingest(org, case, make_video(tmp_path / name, seconds=1, creation_time=timezone.now()), **meta)[:1]
    return recording


LABELLED = dict(device_no="DSJ-001", method="执法记录仪录像", proves="当事人在现场加工木材的事实")


def labelled_as_required(org, profile, tmp_path):
    """000 第二十五条: "标明案号、当事人姓名或者名称、承办人姓名等信息"; 002 第十六条: "按照执法记录
    设备编号、执法人员信息、使用时间、案件当事人和案由名称等项目分类存储"; 004 第三十一条: "存储音像
    记录时，应当同时以电子数据形式附记制作方法、制作时间、制作人和证明对象等内容"."""
    case = org.open_case()
    recorded(org, case, tmp_path, activity="site_inspection", **LABELLED)
    return verdict(case, "av.metadata")


def stored_unlabelled(org, profile, tmp_path):
    """The same words: a recording stored with no device number, method or purpose, in a case
    with no party registered yet."""
    case = org.open_case(parties=0)
    recorded(org, case, tmp_path, activity="site_inspection")
    return verdict(case, "av.metadata")


def investigated_on_camera(org, profile, tmp_path):
    """002 第十七条: "应当佩戴、使用执法记录设备进行全程录音录像……无法全程录音录像的，应当对重要
    环节……进行录音录像"."""
    case = step(org, org.open_case(), "approve_start")
    recorded(org, case, tmp_path, activity="inquiry")
    return verdict(step(org, case, "submit_review"), "av.case_recorded")


def investigated_off_camera(org, profile, tmp_path):
    case = step(org, org.open_case(), "approve_start")
    assert verdict(case, "av.case_recorded").status == PENDING
    return verdict(step(org, case, "submit_review"), "av.case_recorded")


def concluded_with(org, tmp_path, *, noted):
    """A case whose 案件处理意见书 names its recording as evidence, concluded with or without the
    recording's 视听资料文字说明."""
    case = step(org, org.open_case(), "approve_start")
    recording = recorded(org, case, tmp_path, activity="site_inspection")
    if noted:
        final(org, case, "av_evidence_note", recording=recording.filename, sha256=recording.sha256)
    step(org, case, "submit_review")
    final(org, case, "handling_opinion", av_evidence=recording.filename)
    case = step(org, case, "decide")
    if not noted:
        assert verdict(case, "av.evidence_note").status == PENDING
    return step(org, case, "conclude")


def evidence_described_before_archiving(org, profile, tmp_path):
    """000 第二十七条: "将执法视音频资料作为证据使用的，应当……制作文字说明材料，注明制作人、提取人、
    提取时间等信息，并将其复制为光盘后附卷"; 004 第三十二条: "将有关记录制作方法、制作时间、制作人和
    证明对象、录音内容等的详细书面说明归入案卷"."""
    return verdict(concluded_with(org, tmp_path, noted=True), "av.evidence_note")


def evidence_undescribed(org, profile, tmp_path):
    return verdict(concluded_with(org, tmp_path, noted=False), "av.evidence_note")



def uncooperative(org):
    case = org.open_case()
    final(org, case, "site_inspection_record", uncooperative="是", uncooperative_account="当事人拒绝打开仓库接受检查")
    return case


def uncooperation_filmed(org, profile, tmp_path):
    """000 第十二条（三）: "当事人或者有关人员不配合行政执法的"，行政执法人员应当同时进行音像记录."""
    case = uncooperative(org)
    recorded(org, case, tmp_path, activity="site_inspection")
    return verdict(case, "av.uncooperative")


def uncooperation_never_filmed(org, profile, tmp_path):
    case = uncooperative(org)
    found = verdict(case, "av.uncooperative")
    assert found.status == PENDING and found.result.due
    return verdict(case, "av.uncooperative", now=later(found, minutes=1))


CASES = {
    "av.upload_deadline": Cases(uploaded_at_once, uploaded_a_month_late),
    # 001, 002 and 003 name no activity that must be recorded without a break: a break is no finding.
    "av.continuous": Cases(break_explained, break_unexplained, lambda profile: (
        (SATISFIED, VIOLATED) if profile.get("av.continuous.activities") else (NOT_APPLICABLE, NOT_APPLICABLE))),
    "av.mandatory": Cases(filmed_as_required, not_filmed),
    # 001 and 003 name nothing a stored recording must be labelled with.
    "av.metadata": Cases(labelled_as_required, stored_unlabelled, lambda profile: (
        (SATISFIED, VIOLATED) if profile.get("av.metadata.fields") else (NOT_APPLICABLE, NOT_APPLICABLE))),
    "av.case_recorded": Cases(investigated_on_camera, investigated_off_camera),
    "av.evidence_note": Cases(evidence_described_before_archiving, evidence_undescribed),
    "av.uncooperative": Cases(uncooperation_filmed, uncooperation_never_filmed),
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


def test_a_step_not_fit_to_film_is_excused_by_its_written_reason_where_the_text_allows(db):
    """003 第十四条: "采取现场检查（勘验）、抽样调查和听证取证方式的，应同时进行音像记录，不适宜音像
    记录的除外，但需书面记录原因"; 004 第十五条 has no such exception."""
    for profile, expected in (("003", SATISFIED), ("004", VIOLATED)):
        org = Org(f"ax{profile}", profile=profile)
        case = org.open_case()
        final(org, case, "site_inspection_record", no_av_reason="检查涉及国家秘密的林业测绘资料，不适宜音像记录")
        assert verdict(case, "av.mandatory").status == expected
    org = Org("ay", profile="003")  # the reason left out: the footage is owed
    case = org.open_case()
    final(org, case, "sampling_list", no_av_reason="")
    assert verdict(case, "av.mandatory").status == VIOLATED
