"""Deadlines by the Chinese working-day calendar.

Working days follow the State Council's yearly holiday arrangement (statutory holidays and
调休 make-up days) as published in `chinese-calendar`. For a year whose arrangement is not
published yet, weekends alone are used and the result is marked provisional, so a screen can
say so instead of pretending to know.
"""

import datetime
from dataclasses import dataclass

import chinese_calendar
from django.utils import timezone

PROVISIONAL_NOTE = "该年度节假日安排尚未公布，暂按周末计算"


def is_working_day(day):
    """(working?, known?) for a date."""
    try:
        return chinese_calendar.is_workday(day), True
    except NotImplementedError:
        return day.weekday() < 5, False


def add_working_days(day, count):
    """The `count`-th working day after `day` (the start day itself is not counted), and
    whether every day on the way was known to the calendar."""
    known = True
    while count > 0:
        day += datetime.timedelta(days=1)
        working, day_known = is_working_day(day)
        known = known and day_known
        if working:
            count -= 1
    return day, known


def end_of_day(day):
    """24:00 of a local date, as an aware datetime."""
    return timezone.make_aware(datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time()))


@dataclass(frozen=True)
class Deadline:
    due: datetime.datetime
    basis: str
    cite: str
    provisional: bool = False

    def is_late(self, at):
        return at > self.due

    def describe(self):
        text = f"{self.basis}，应于 {timezone.localtime(self.due):%Y-%m-%d %H:%M} 前（{self.cite}）"
        return text + (f"；{PROVISIONAL_NOTE}" if self.provisional else "")


def av_upload_deadline(profile, made_at, returned_at=None):
    """When a finished audio/video recording must be in the system, by the agency's profile.

    `made_at` is when the recording was finished; `returned_at`, when the officer records a
    return from field or remote work, extends the deadline where the profile allows it."""
    rule = profile.get("av.upload_deadline")
    cite = profile.cite("av.upload_deadline")
    local = timezone.localtime(made_at)
    kind, value = rule["kind"], rule["value"]
    provisional = False
    if kind == "hours":
        due, basis = made_at + datetime.timedelta(hours=value), f"制作完成后 {value} 小时内存储"
    elif kind == "working_days":
        day, known = add_working_days(local.date(), value)
        due, basis, provisional = end_of_day(day), f"自记录作出之日起 {value} 个工作日内存储", not known
    elif kind == "end_of_day":
        due, basis = end_of_day(local.date()), "当天工作结束后存储"
    else:
        raise ValueError(f"profile {profile.id}: unknown upload deadline kind {kind}")
    extension = rule.get("after_return_hours")
    if returned_at and extension:
        after_return = returned_at + datetime.timedelta(hours=extension)
        if after_return > due:
            due, basis, provisional = after_return, f"外勤返回单位后 {extension} 小时内存储", False
    return Deadline(due=due, basis=basis, cite=cite, provisional=provisional)
