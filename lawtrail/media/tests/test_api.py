"""Recordings through the API: list, detail, coverage and gap explanations, play with byte
ranges, download, each access in the ledger, nothing visible to another agency."""

import datetime

import pytest
from django.test import Client

from lawtrail.ledger.models import Entry
from lawtrail.media.tests.test_recordings import CST, ingest, segments
from lawtrail.org.services import token_create
from lawtrail.samples import make_video


def client(user):
    return Client(HTTP_AUTHORIZATION=f"Bearer {token_create(actor=None, username=user.username)}")


@pytest.fixture
def recorded(org, tmp_path):
    case = org.open_case()
    path = make_video(tmp_path / "现场检查.mp4", seconds=3)
    recording, _ = ingest(org, case, path, activity="site_inspection")
    return case, recording, path.read_bytes()


def test_recordings_are_listed_with_their_deadline_and_metadata(org, recorded):
    case, recording, content = recorded
    [item] = client(org.head).get(f"/api/cases/{case.pk}/recordings").json()
    assert item["sha256"] == recording.sha256 and item["activity_label"] == "现场检查（勘验）"
    assert item["officer_cert"] == org.officers[0].cert_no and item["upload_due_basis"].endswith("）")
    assert item["late"] is False and item["duration"] == pytest.approx(3, abs=0.2)
    detail = client(org.head).get(f"/api/cases/{case.pk}/recordings/{recording.pk}").json()
    assert detail == item


def test_play_hands_out_a_stream_that_answers_byte_ranges(org, recorded):
    case, recording, content = recorded
    head = client(org.head)
    plays = Entry.objects.filter(action="recording.play").count()
    play = head.post(f"/api/cases/{case.pk}/recordings/{recording.pk}/play").json()
    assert Entry.objects.filter(action="recording.play").count() == plays + 1
    url = play["url"].split("testserver", 1)[1]
    part = head.get(url, HTTP_RANGE="bytes=100-199")
    assert part.status_code == 206 and part["Content-Range"] == f"bytes 100-199/{len(content)}"
    assert b"".join(part.streaming_content) == content[100:200]
    tail = head.get(url, HTTP_RANGE="bytes=-50")
    assert b"".join(tail.streaming_content) == content[-50:]
    whole = head.get(url)
    assert whole.status_code == 200 and b"".join(whole.streaming_content) == content
    assert whole["Accept-Ranges"] == "bytes"
    assert head.get(url, HTTP_RANGE=f"bytes={len(content)}-").status_code == 416
    assert head.get(url, HTTP_RANGE="bytes=abc").status_code == 416
    assert Entry.objects.filter(action="recording.play").count() == plays + 1  # ranges are not new plays
    other = client(org.officer_users[1])
    assert other.get(url, HTTP_RANGE="bytes=0-9").status_code == 404  # the token is the head's
    assert Client().get(url).status_code == 401
    assert head.get(url[:-3] + "xyz").status_code == 404


def test_a_download_is_the_original_and_is_logged(org, recorded):
    case, recording, content = recorded
    response = client(org.head).get(f"/api/cases/{case.pk}/recordings/{recording.pk}/download")
    assert b"".join(response.streaming_content) == content and response["X-Content-SHA256"] == recording.sha256
    assert Entry.objects.filter(action="recording.download", object_id=str(recording.pk)).count() == 1


def test_coverage_and_gap_explanations_through_the_api(db, tmp_path):
    from lawtrail.testing import Org

    org = Org("apigap", profile="000")  # 000 第十六条: every recording without interruption
    case = org.open_case()
    t0 = datetime.datetime(2026, 11, 20, 9, 0, tzinfo=CST)
    first, second = segments(org, case, tmp_path, "coercive_measure", [t0, t0 + datetime.timedelta(minutes=30)])
    officer = client(org.officer_users[0])
    [coverage] = officer.get(f"/api/cases/{case.pk}/coverage").json()
    assert coverage["required"] and coverage["cite"] == "000 第十六、十七条"
    [gap] = coverage["gaps"]
    assert gap["before_id"] == first.pk and not gap["explained"] and "未说明中止原因" in gap["message"]
    body = {"before_id": first.pk, "after_id": second.pk, "reason_kind": "written", "reason": ""}
    response = officer.post(f"/api/cases/{case.pk}/gaps", body, content_type="application/json")
    assert response.status_code == 422 and "请填写中止原因" in response.json()["detail"]
    body["reason"] = "当事人阻挠，设备被打落损坏，事后书面说明"
    assert officer.post(f"/api/cases/{case.pk}/gaps", body, content_type="application/json").status_code == 201
    assert officer.get(f"/api/cases/{case.pk}/coverage").json()[0]["gaps"][0]["explained"]


def test_another_agency_sees_no_recording(org, other_org, recorded):
    case, recording, _ = recorded
    stranger = client(other_org.head)
    assert stranger.get(f"/api/cases/{case.pk}/recordings").status_code == 404
    assert stranger.get(f"/api/cases/{case.pk}/recordings/{recording.pk}/download").status_code == 404
    assert stranger.post(f"/api/cases/{case.pk}/recordings/{recording.pk}/play").status_code == 404
    assert not Entry.objects.filter(action__in=["recording.play", "recording.download"]).exists()
