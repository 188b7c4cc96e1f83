"""The access log answers "who has seen this recording" and "what did this user look at",
on screen and as CSV, and never about another agency."""

import csv
import io

from django.urls import reverse

from lawtrail.media.tests.test_recordings import ingest
from lawtrail.org.enums import Role
from lawtrail.org.models import User
from lawtrail.samples import make_video
from lawtrail.web.tests.test_views import client_for


def test_who_has_seen_this_recording_and_what_did_this_user_look_at(org, other_org, tmp_path):
    case = org.open_case()
    recording, _ = ingest(org, case, make_video(tmp_path / "v.mp4", seconds=1))
    officer, head = named(org.officer_users[1], "李晓燕"), named(org.head, "刘海涛")
    client_for(officer).get(reverse("web:recording_detail", args=[case.pk, recording.pk]))  # a play
    client_for(officer).get(reverse("web:recording_download", args=[case.pk, recording.pk]))
    client_for(head).get(reverse("web:case_detail", args=[case.pk]))  # a view
    supervisor = client_for(org.users[Role.SUPERVISOR])

    page = supervisor.get(reverse("web:audit"), {"kind": "recording", "object_id": recording.pk}).content.decode()
    assert f"谁调阅过音像记录 {recording.pk}" in page
    assert page.count(f"<td>{officer.display_name}</td>") == 2 and "播放" in page and "下载" in page
    assert head.display_name not in page and officer.username not in page  # names, not login names

    page = supervisor.get(reverse("web:audit"), {"username": "刘海涛"}).content.decode()  # by his name
    assert f"{head.display_name}调阅过什么" in page and f"案件 {case.case_no}" in page and "查看" in page
    assert "cases.case" not in page and head.username not in page
    by_login = supervisor.get(reverse("web:audit"), {"username": head.username}).content.decode()
    assert f"{head.display_name}调阅过什么" in by_login

    response = supervisor.get(reverse("web:audit"), {"kind": "recording", "object_id": recording.pk, "format": "csv"})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[1] == ["账本序号", "时间", "调阅人", "方式", "对象", "说明"]
    assert sorted(r[3] for r in rows[2:]) == ["下载", "播放"] and all(r[2] == officer.display_name for r in rows[2:])
    assert all(r[4] == f"音像记录 {recording.filename}" for r in rows[2:])

    stranger = client_for(other_org.users[Role.SUPERVISOR])
    page = stranger.get(reverse("web:audit"), {"kind": "recording", "object_id": recording.pk}).content.decode()
    assert "没有调阅记录" in page and officer.username not in page
    assert "本机关没有用户" in stranger.get(reverse("web:audit"), {"username": officer.username}).content.decode()


def named(user, name):
    """The test users are named by their login names; the page must show the person's name."""
    User.objects.filter(pk=user.pk).update(full_name=name)
    user.refresh_from_db()
    return user


def test_only_heads_and_supervisors_query_the_access_log(org):
    response = client_for(org.officer_users[0]).get(reverse("web:audit"))
    assert response.status_code == 403 and "只有负责人和法制监督人员" in response.content.decode()
    assert client_for(org.head).get(reverse("web:audit")).status_code == 200


def test_reading_does_not_trigger_a_compliance_re_evaluation(org, django_capture_on_commit_callbacks):
    case = org.open_case()
    with django_capture_on_commit_callbacks() as callbacks:
        client_for(org.head).get(reverse("web:case_detail", args=[case.pk]))
    assert callbacks == []
