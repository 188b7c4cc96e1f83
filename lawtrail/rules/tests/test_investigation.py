"""调查取证 rules: the written record of the investigation, and a party's refusal to sign."""

import datetime

from lawtrail.media.tests.test_recordings import ingest
from lawtrail.org.models import Agency
from lawtrail.rules.base import PENDING
from lawtrail.rules.families.investigation import names_recording
from lawtrail.rules.tests.matrix import Cases, final, later, matrix_test, refused, step, verdict
from lawtrail.samples import make_video
from lawtrail.testing import Org


def investigated_in_writing(org, profile, tmp_path):
    case = step(org, org.open_case(), "approve_start")
    final(org, case, "inquiry_record")
    return verdict(step(org, case, "submit_review"), "investigation.record")


def investigated_without_a_record(org, profile, tmp_path):
    case = step(org, org.open_case(), "approve_start")
    assert verdict(case, "investigation.record").status == PENDING
    return verdict(step(org, case, "submit_review"), "investigation.record")


def refusal_witnessed(org, profile, tmp_path):
    case = org.open_case()
    refused(org, case, "site_inspection_record", witness_name="王五（村委会主任）")
    return verdict(case, "signature.refusal")


def refusal_filmed_but_the_video_never_uploaded(org, profile, tmp_path):
    case = org.open_case()
    refused(org, case, "inquiry_record", video_ref="DSJ_0001.mp4")
    found = verdict(case, "signature.refusal")
    assert found.status == PENDING and found.result.due
    return verdict(case, "signature.refusal", now=later(found, minutes=1))



def inquiry(org, case, **data):
    return final(org, case, "inquiry_record", **data)


def officers_named_with_their_certificates(org, profile, tmp_path):
    """000 第九条 / 003 第十一条: "行政执法人员应当在相关调查笔录中对执法人员数量、姓名、执法证件编号
    及出示情况进行文字记录"; 004 第十二条（一）: "行政执法人员的数量、姓名、执法证件编号及向行政相对人
    出示证件情况"."""
    case = org.open_case()
    signers = [a.officer for a in case.team()]
    inquiry(org, case, officer_count=len(signers), officer_names="、".join(o.name for o in signers),
            cert_numbers="、".join(o.cert_no for o in signers), cert_shown=True)
    return verdict(case, "investigation.officers")


def certificates_not_named(org, profile, tmp_path):
    """The same words: a 询问笔录 whose 执法证件编号 are not those of the officers who signed it."""
    case = org.open_case()
    inquiry(org, case, cert_numbers="见执法证")
    return verdict(case, "investigation.officers")


CASES = {
    "investigation.record": Cases(investigated_in_writing, investigated_without_a_record),
    "signature.refusal": Cases(refusal_witnessed, refusal_filmed_but_the_video_never_uploaded),
    "investigation.officers": Cases(officers_named_with_their_certificates, certificates_not_named),
}
test_each_rule_passes_and_fails_under_each_profile_that_uses_it = matrix_test(CASES)


def test_investigation_record(org004):
    org = org004
    bare = step(org, org.open_case(), "approve_start")
    assert verdict(bare, "investigation.record").status == "pending"
    step(org, bare, "submit_review")
    found = verdict(bare, "investigation.record")
    assert found.status == "violated" and found.cite == "004 第十二条"
    done = step(org, org.open_case(), "approve_start")
    inquiry = final(org, done, "inquiry_record")
    step(org, done, "submit_review")
    found = verdict(done, "investigation.record")
    assert found.status == "satisfied" and inquiry.number in found.result.message


def test_a_refusal_to_sign_needs_its_witness_or_its_video_in_the_case(org004, tmp_path):
    """004 第十九条: a refusal is explained in the record and proved by another person present
    signing, or by video — and video that is named must be in the system."""
    org = org004
    case = org.open_case()
    assert verdict(case, "signature.refusal").status == "na"
    refused(org, case, "site_inspection_record", witness_name="王五（村委会主任）")
    found = verdict(case, "signature.refusal")
    assert found.status == "satisfied" and "1 处拒签" in found.result.message and found.cite == "004 第十九条"

    filmed = org.open_case()
    record = refused(org, filmed, "inquiry_record", video_ref="DSJ_20261120_0915.mp4")
    found = verdict(filmed, "signature.refusal")
    assert found.status == "pending" and "DSJ_20261120_0915.mp4" in found.result.message and found.result.due
    late = verdict(filmed, "signature.refusal", now=found.result.due + datetime.timedelta(minutes=1))
    assert late.status == "violated" and record.number in late.result.message and "不在本案音像记录中" in late.result.message
    ingest(org, filmed, make_video(tmp_path / "DSJ_20261120_0915.mp4", seconds=1), activity="site_inspection")
    assert verdict(filmed, "signature.refusal", now=found.result.due + datetime.timedelta(minutes=1)).status == "satisfied"


def test_a_refusal_without_witness_or_video_is_a_violation_where_the_profile_asks_for_one(db):
    org = Org("rf", profile="003")  # 003 第十三条: the refusal is recorded, no witness required
    case = org.open_case()
    refused(org, case, "site_inspection_record")
    assert verdict(case, "signature.refusal").status == "satisfied"
    Agency.objects.filter(pk=org.agency.pk).update(profile="004")  # rebound to 004: witness or video
    case.refresh_from_db()
    found = verdict(case, "signature.refusal")
    assert found.status == "violated" and "既无其他在场人员签字证明，也无录像记录" in found.result.message


def test_a_named_recording_is_found_by_file_name_number_or_hash_prefix(org004, tmp_path):
    org = org004
    case = org.open_case()
    recording, _ = ingest(org, case, make_video(tmp_path / "DSJ_0001.MP4", seconds=1))
    for reference in ("DSJ_0001.MP4", "dsj_0001", f"#{recording.pk}", recording.sha256[:10], " DSJ_0001.mp4 "):
        assert names_recording(reference, recording), reference
    for reference in ("", "DSJ_0002.MP4", recording.sha256[:7], "0001"):
        assert not names_recording(reference, recording), reference
