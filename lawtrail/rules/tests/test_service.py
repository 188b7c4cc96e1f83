"""送达 rules: proof that the decision was served, and mail sent only in the ways allowed."""

from lawtrail.media.tests.test_recordings import ingest
from lawtrail.org.models import Agency
from lawtrail.records.catalog import doc_type
from lawtrail.regulations.profiles import profiles
from lawtrail.rules.base import SATISFIED, VIOLATED
from lawtrail.rules.tests.matrix import Cases, final, matrix_test, step, verdict
from lawtrail.rules.tests.test_decision import decided
from lawtrail.samples import make_video
from lawtrail.testing import Org

MAIL_METHODS = doc_type("service_mail").field("mail_method").options


def refused_methods(profile):
    return [m for m in MAIL_METHODS if m not in profile.get("service.mail_methods.allowed")]


def mailed_as_allowed(org, profile, tmp_path):
    case = org.open_case()
    final(org, case, "service_mail", mail_method=profile.get("service.mail_methods.allowed")[0])
    return verdict(case, "service.mail_method")


def mailed_another_way(org, profile, tmp_path):
    """Finalising refuses a method the profile does not allow: such a record is one made while
    the agency was under another profile, which allowed every method."""
    lenient = next(p for p in profiles().values() if not refused_methods(p))
    Agency.objects.filter(pk=org.agency.pk).update(profile=lenient.id)
    case = org.open_case()
    final(org, case, "service_mail", mail_method=(refused_methods(profile) or MAIL_METHODS)[-1])
    Agency.objects.filter(pk=org.agency.pk).update(profile=profile.id)
    case.refresh_from_db()
    return verdict(case, "service.mail_method")


def served_and_concluded(org, profile, tmp_path):
    case = decided(org, "decision")
    final(org, case, "service_direct")
    return verdict(step(org, case, "conclude"), "service.proof")


def concluded_without_service(org, profile, tmp_path):
    return verdict(step(org, decided(org, "decision"), "conclude"), "service.proof")



def posted(org, case):
    return final(org, case, "service_public", method="张贴公告")


def posting_photographed(org, profile, tmp_path):
    """004 第二十六条: "采取张贴公告方式送达的，还应当采取照相或录像方式记录送达情况"."""
    case = org.open_case()
    posted(org, case)
    ingest(org, case, make_video(tmp_path / "公告.mp4", seconds=1), activity="service_public")
    return verdict(case, "service.public_photo")


def posting_unphotographed(org, profile, tmp_path):
    case = org.open_case()
    posted(org, case)
    return verdict(case, "service.public_photo")


CASES = {
    # 002 and 004 allow every method the 送达回证 offers: no mail can be sent the wrong way.
    "service.mail_method": Cases(mailed_as_allowed, mailed_another_way,
                                 lambda profile: (SATISFIED, VIOLATED if refused_methods(profile) else SATISFIED)),
    "service.proof": Cases(served_and_concluded, concluded_without_service),
    "service.public_photo": Cases(posting_photographed, posting_unphotographed),
}
test_each_rule_passes_and_fails_under_each_profile_that_uses_it = matrix_test(CASES)


def test_mail_method(db):
    org = Org("rm", profile="004")  # 004 第二十四条 allows any courier
    case = org.open_case()
    assert verdict(case, "service.mail_method").status == "na"
    final(org, case, "service_mail", mail_method="其他快递")
    assert verdict(case, "service.mail_method").status == "satisfied"
    Agency.objects.filter(pk=org.agency.pk).update(profile="003")  # rebound to 003: registered mail or EMS only
    case.refresh_from_db()
    found = verdict(case, "service.mail_method")
    assert found.status == "violated" and "其他快递" in found.result.message and found.cite == "003 第二十条"


def test_decision_document_and_service_proof(org004):
    org = org004
    bare = org.open_case()
    final(org, bare, "filing_approval")
    for name in ("approve_start", "submit_review", "decide"):
        step(org, bare, name)
    assert verdict(bare, "decision.document").status == "violated"
    assert verdict(bare, "service.proof").status == "na"
    step(org, bare, "conclude")
    found = verdict(bare, "service.proof")
    assert found.status == "violated" and found.cite == "004 第二十一条"

    done = org.open_case()
    final(org, done, "filing_approval")
    step(org, done, "approve_start")
    step(org, done, "submit_review")
    final(org, done, "decision")
    step(org, done, "decide")
    final(org, done, "service_direct")
    step(org, done, "conclude")
    assert verdict(done, "decision.document").status == "satisfied"
    assert verdict(done, "service.proof").status == "satisfied"


def test_a_notice_in_the_newspaper_needs_no_photo_under_004(db):
    """004 第二十六条 asks the photo or video only of "张贴公告"."""
    org = Org("sp", profile="004")
    case = org.open_case()
    final(org, case, "service_public", method="报纸刊登")
    assert verdict(case, "service.public_photo").status == "na"
