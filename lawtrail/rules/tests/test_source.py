"""案件来源 rules: an application registered and answered (受理 / 不予受理), a complaint
registered, and a named complainant told what became of his complaint."""

from lawtrail.cases.enums import MatterType, Source, Stage
from lawtrail.cases.models import Case
from lawtrail.rules.base import NOT_APPLICABLE, PENDING
from lawtrail.rules.tests.matrix import Cases, final, matrix_test, step, verdict
from lawtrail.testing import Org


def application(org):
    return org.open_case(source=Source.APPLICATION, matter_type=MatterType.LICENSING, title="林木采伐许可申请")


def complaint(org, name="赵六"):
    return org.open_case(source=Source.COMPLAINT, complainant_name=name, start_reason="群众实名举报")


def closed_as_before(case):
    """A complaint not taken up, as an older system closed it: the stage set, no step taken
    (the workflow's own step asks for the notice; the rule must catch a history without it)."""
    Case.objects.filter(pk=case.pk).update(stage=Stage.CLOSED)
    case.refresh_from_db()
    return case


def application_registered_and_accepted(org, profile, tmp_path):
    """001 第五条 / 003 第八条: "对申请登记、口头申请、受理或不予受理……予以记录"; 004 第九条:
    "应当对申请的登记、受理情况……进行书面记录"."""
    case = application(org)
    final(org, case, "application_register")
    final(org, case, "application_acceptance")
    return verdict(step(org, case, "accept_application"), "source.application")


def application_accepted_unrecorded(org, profile, tmp_path):
    """The same words: an application accepted with neither its registration nor the 受理通知书."""
    case = application(org)
    assert verdict(case, "source.application").status == PENDING
    return verdict(step(org, case, "accept_application"), "source.application")


def complaint_registered(org, profile, tmp_path):
    """001 第七条: "接到……投诉、举报的，需要查处的，及时启动执法程序，并进行相应记录"; 004 第十条:
    "还应当书面记录投诉人或举报人基本情况、投诉或举报的内容及时间、记录人情况"."""
    case = complaint(org)
    final(org, case, "complaint_register")
    return verdict(step(org, case, "approve_start"), "source.complaint_record")


def complaint_taken_up_unregistered(org, profile, tmp_path):
    case = complaint(org)
    assert verdict(case, "source.complaint_record").status == PENDING
    return verdict(step(org, case, "approve_start"), "source.complaint_record")


def named_complainant_told(org, profile, tmp_path):
    """001 第七条 / 003 第十条: "对实名投诉、举报，经审查不启动行政执法程序的，要依据……规定告知
    投诉人、举报人，并将相关情况作书面记录"."""
    case = complaint(org)
    final(org, case, "complaint_notice", complainant="赵六", decision="不予立案")
    return verdict(closed_as_before(case), "source.complaint_notice")


def named_complainant_never_told(org, profile, tmp_path):
    return verdict(closed_as_before(complaint(org)), "source.complaint_notice")



def inspection(org):
    return org.open_case(matter_type=MatterType.INSPECTION, source=Source.RANDOM_CHECK, title="林木经营加工单位随机抽查")


def draw_recorded(org, profile, tmp_path):
    """004 第十条: "对行政检查事项，应当书面记录抽查方式、随机确定的检查对象、执法人员等内容"."""
    case = inspection(org)
    final(org, case, "random_check_record")
    return verdict(step(org, case, "approve_start"), "source.random_check")


def inspected_without_the_draw(org, profile, tmp_path):
    case = inspection(org)
    assert verdict(case, "source.random_check").status == PENDING
    return verdict(step(org, case, "approve_start"), "source.random_check")


CASES = {
    "source.application": Cases(application_registered_and_accepted, application_accepted_unrecorded),
    "source.complaint_record": Cases(complaint_registered, complaint_taken_up_unregistered),
    "source.complaint_notice": Cases(named_complainant_told, named_complainant_never_told),
    "source.random_check": Cases(draw_recorded, inspected_without_the_draw),
}
test_each_rule_passes_and_fails_under_each_profile_that_uses_it = matrix_test(CASES)


def test_an_application_refused_needs_the_refusal_decision(db):
    org = Org("sa", profile="004")
    bare = application(org)
    final(org, bare, "application_register")
    found = verdict(step(org, bare, "reject_application", who=org.head), "source.application")
    assert found.status == "violated" and "不予受理决定书" in found.result.message and found.cite == "004 第九条"
    done = application(org)
    final(org, done, "application_register")
    final(org, done, "application_rejection")
    assert verdict(step(org, done, "reject_application", who=org.head), "source.application").status == "satisfied"
    assert verdict(org.open_case(), "source.application").status == NOT_APPLICABLE


def test_a_named_complaint_taken_up_is_told_under_004_only(db):
    """004 第十条: "决定启动或者不启动行政执法程序的，还应当书面记录……投诉或举报的处理及告知情况";
    003 第十条 asks it only where the case is not started."""
    strict, lenient = Org("sc", profile="004"), Org("sd", profile="003")
    started = step(strict, complaint(strict), "approve_start")
    assert verdict(started, "source.complaint_notice").status == PENDING
    final(strict, started, "complaint_notice", complainant="赵六", decision="立案查处")
    assert verdict(started, "source.complaint_notice").status == "satisfied"
    assert verdict(step(lenient, complaint(lenient), "approve_start"), "source.complaint_notice").status == NOT_APPLICABLE
    anonymous = closed_as_before(complaint(lenient, name=""))
    assert verdict(anonymous, "source.complaint_notice").status == NOT_APPLICABLE
