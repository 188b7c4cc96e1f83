"""立卷归档 rules: the case file archived within the profile's days after the case ended."""

import datetime

from lawtrail.rules.base import NOT_APPLICABLE, PENDING, SATISFIED, VIOLATED
from lawtrail.rules.tests.matrix import Cases, later, matrix_test, step, verdict
from lawtrail.testing import Org


def archived_in_time(org, profile, tmp_path):
    case = org.conclude(org.open_case())
    org.final_record(case, "closing_report")
    return verdict(org.archive(case), "archive.deadline")


def never_archived(org, profile, tmp_path):
    case = org.conclude(org.open_case())
    found = verdict(case, "archive.deadline")
    if found.status == NOT_APPLICABLE:  # no days set: nothing falls due
        return found
    assert found.status == PENDING
    return verdict(case, "archive.deadline", now=later(found, days=1))


CASES = {
    # 002 sets no number of days (it defers to the provincial archives rules): nothing falls due.
    "archive.deadline": Cases(archived_in_time, never_archived, lambda profile: (
        (SATISFIED, VIOLATED) if profile.get("archive.deadline_days") else (NOT_APPLICABLE, NOT_APPLICABLE))),
}
test_each_rule_passes_and_fails_under_each_profile_that_uses_it = matrix_test(CASES)


def test_archive_deadline(org004):
    org = org004
    case = org.open_case()
    assert verdict(case, "archive.deadline").status == "na"
    for name in ("approve_start", "submit_review", "decide", "conclude"):
        step(org, case, name)
    found = verdict(case, "archive.deadline")
    assert found.status == "pending" and found.result.due == case.ended_at + datetime.timedelta(days=20)
    late = verdict(case, "archive.deadline", now=case.ended_at + datetime.timedelta(days=21))
    assert late.status == "violated" and late.cite == "004 第三十二条"
    org.final_record(case, "closing_report")
    org.archive(case)
    assert verdict(case, "archive.deadline").status == "satisfied"
    assert verdict(Org("r2", profile="002").open_case(), "archive.deadline").status == "na"
