"""立卷归档: the case file archived within the profile's days after the case ended."""

import datetime

from lawtrail.rules.base import NOT_APPLICABLE, PENDING, SATISFIED, VIOLATED, Result, at, rule


@rule("archive.deadline", "行政执法行为终结后按期立卷归档", "medium", "archive")
def _archive(f):
    case = f.case
    days = f.profile.get("archive.deadline_days")
    if days is None:
        return Result(NOT_APPLICABLE, f"{f.profile.get('archive.note')}")
    if case.ended_at is None:
        return Result(NOT_APPLICABLE, "执法行为尚未终结")
    due = case.ended_at + datetime.timedelta(days=days)
    if case.archived_at:
        if case.archived_at > due:
            return Result(VIOLATED, f"于 {at(case.archived_at)} 归档，超过期限 {at(due)}")
        return Result(SATISFIED, f"已于 {at(case.archived_at)} 归档")
    if f.now > due:
        return Result(VIOLATED, f"应于 {at(due)} 前立卷归档，至今未归档", due)
    return Result(PENDING, f"须于 {at(due)} 前立卷归档", due)
