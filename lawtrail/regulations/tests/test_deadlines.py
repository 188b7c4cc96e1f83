"""Upload deadlines by profile and the Chinese working-day calendar (2026: 国庆节 10月1日至7日
放假，10月10日（星期六）上班)."""

import datetime

import pytest
from django.utils import timezone

from lawtrail.regulations.deadlines import add_working_days, av_upload_deadline, is_working_day
from lawtrail.regulations.profiles import get_profile

CST = datetime.timezone(datetime.timedelta(hours=8))


def at(*args):
    return datetime.datetime(*args, tzinfo=CST)


def local(value):
    return timezone.localtime(value).replace(tzinfo=None)


def test_holidays_and_make_up_days_come_from_the_state_council_calendar():
    assert is_working_day(datetime.date(2026, 10, 5)) == (False, True)  # 国庆节, a Monday
    assert is_working_day(datetime.date(2026, 10, 10)) == (True, True)  # 调休上班, a Saturday
    assert add_working_days(datetime.date(2026, 9, 30), 2) == (datetime.date(2026, 10, 9), True)


def test_two_working_days_jump_over_the_national_holiday():
    due = av_upload_deadline(get_profile("004"), made_at=at(2026, 9, 30, 15, 0))
    assert local(due.due) == datetime.datetime(2026, 10, 10, 0, 0)  # end of Friday 9 October
    assert due.cite == "004 第三十条" and not due.provisional
    assert "2 个工作日" in due.describe() and "004 第三十条" in due.describe()


def test_a_make_up_saturday_counts_as_a_working_day():
    due = av_upload_deadline(get_profile("000"), made_at=at(2026, 10, 9, 18, 0))
    assert local(due.due) == datetime.datetime(2026, 10, 13, 0, 0)  # Sat 10th, then Mon 12th


def test_twenty_four_hours_run_through_holidays():
    due = av_upload_deadline(get_profile("001"), made_at=at(2026, 9, 30, 15, 0))
    assert due.due == at(2026, 10, 1, 15, 0) and due.cite == "001 第二十三条"
    assert due.is_late(at(2026, 10, 1, 15, 1)) and not due.is_late(at(2026, 10, 1, 14, 59))


def test_field_work_gives_twenty_four_hours_after_return_where_the_profile_allows():
    made, back = at(2026, 9, 30, 15, 0), at(2026, 10, 3, 10, 0)
    due = av_upload_deadline(get_profile("003"), made_at=made, returned_at=back)
    assert due.due == at(2026, 10, 4, 10, 0) and "返回单位后 24 小时" in due.basis
    plain = av_upload_deadline(get_profile("001"), made_at=made, returned_at=back)
    assert plain.due == at(2026, 10, 1, 15, 0)  # 001 has no such extension


def test_002_wants_the_recordings_stored_the_same_day():
    due = av_upload_deadline(get_profile("002"), made_at=at(2026, 11, 20, 9, 0))
    assert local(due.due) == datetime.datetime(2026, 11, 21, 0, 0) and due.cite == "002 第十条"


def test_a_year_without_a_published_calendar_is_marked_provisional():
    due = av_upload_deadline(get_profile("004"), made_at=at(2027, 3, 5, 10, 0))  # a Friday
    assert local(due.due) == datetime.datetime(2027, 3, 10, 0, 0) and due.provisional
    assert "尚未公布" in due.describe()


@pytest.mark.parametrize("profile", ["000", "001", "002", "003", "004"])
def test_every_profile_has_an_upload_deadline_with_its_article(profile):
    p = get_profile(profile)
    assert p.get("av.upload_deadline.kind") in ("hours", "working_days", "end_of_day")
    assert p.cite("av.upload_deadline").startswith(f"{profile} 第")
