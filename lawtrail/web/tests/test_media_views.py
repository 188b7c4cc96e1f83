"""音像记录 pages through Django's test client."""

import datetime

from django.urls import reverse
from django.utils import timezone

from lawtrail.ledger.models import Entry
from lawtrail.media.tests.test_recordings import CST, ingest, segments
from lawtrail.org.enums import Role
from lawtrail.records.models import Record
from lawtrail.samples import make_video
from lawtrail.testing import Org
from lawtrail.web.tests.test_views import client_for


def test_the_case_page_lists_recordings_with_lateness_flags_and_the_upload_form(db, tmp_path):
    org = Org("mv", profile="001")
    case = org.open_case()
    late, _ = ingest(org, case, make_video(tmp_path / "late.mp4", seconds=1,
                                           creation_time=timezone.now() - datetime.timedelta(days=3)))
    odd = tmp_path / "odd.mp4"
    odd.write_bytes(b"\x00" * 4000)
    flagged, _ = ingest(org, case, odd)
    page = client_for(org.officer_users[0]).get(reverse("web:case_detail", args=[case.pk])).content.decode()
    assert "late.mp4" in page and "逾期上传" in page and "无法解析，已原样保存" in page
    assert 'id="upload-form"' in page and "vendor/tus.min.js" in page and org.officers[0].cert_no in page
    archivist_page = client_for(org.users[Role.ARCHIVIST]).get(reverse("web:case_detail", args=[case.pk]))
    assert 'id="upload-form"' not in archivist_page.content.decode()


def test_an_unexplained_gap_is_shown_and_explained_from_the_case_page(db, tmp_path):
    org = Org("mvgap", profile="004")
    case = org.open_case()
    t0 = datetime.datetime(2026, 11, 20, 9, 0, tzinfo=CST)
    first, second = segments(org, case, tmp_path, "hearing", [t0, t0 + datetime.timedelta(minutes=5)])
    client = client_for(org.officer_users[0])
    page = client.get(reverse("web:case_detail", args=[case.pk])).content.decode()
    assert "须全程不间断记录（" in page and ">004 第十五、二十三、二十八条</a>）" in page and "gap-violation" in page
    assert "未说明中止原因" in page
    response = client.post(reverse("web:gap_explain", args=[case.pk]), {
        "before": first.pk, "after": second.pk, "reason_kind": "spoken", "reason": "天气恶劣，暴雨中断"}, follow=True)
    page = response.content.decode()
    assert "已记录中断说明" in page and "已说明：天气恶劣，暴雨中断" in page and "gap-violation" not in page


def test_opening_the_player_is_a_logged_play_and_download_is_logged(org, tmp_path):
    case = org.open_case()
    recording, _ = ingest(org, case, make_video(tmp_path / "v.mp4", seconds=2))
    client = client_for(org.head)
    page = client.get(reverse("web:recording_detail", args=[case.pk, recording.pk])).content.decode()
    assert "/media/stream/" in page and recording.sha256 in page and "本次调阅已记入账本" in page
    assert "校验值（SHA-256）" in page and "视频 H264" in page and "video h264" not in page  # in words
    assert Entry.objects.filter(action="recording.play", object_id=str(recording.pk)).count() == 1
    response = client.get(reverse("web:recording_download", args=[case.pk, recording.pk]))
    assert b"".join(response.streaming_content) == (tmp_path / "v.mp4").read_bytes()
    assert Entry.objects.filter(action="recording.download", object_id=str(recording.pk)).count() == 1


def test_a_hash_mismatch_is_said_in_words_and_both_hashes_are_behind_the_technical_details(org, tmp_path):
    from lawtrail.media.services import describe, recording_ingest

    case, video = org.open_case(), make_video(tmp_path / "v.mp4", seconds=1)
    claimed = "ab" * 32  # what the phone computed: not the file that arrived
    description = describe(org.officer_users[0], {"case_no": case.case_no, "officer_cert": org.officers[0].cert_no})
    recording, _ = recording_ingest(actor=org.officer_users[0], path=video, description=description,
                                    filename=video.name, claimed_sha256=claimed)
    url = reverse("web:recording_detail", args=[case.pk, recording.pk])
    page = client_for(org.officer_users[0]).get(url).content.decode()
    assert "校验值不一致：服务器收到的文件与上传前在本机计算的校验值不同" in page
    assert claimed[:8] not in page and "技术详情" not in page
    page = client_for(org.users[Role.SUPERVISOR]).get(url).content.decode()
    details = page.split('data-testid="technical-details"', 1)[1].split("</details>", 1)[0]
    assert claimed in details and recording.sha256 in details


def test_the_evidence_explanation_starts_filled_in_from_the_recording(org, tmp_path):
    case = org.open_case()
    recording, _ = ingest(org, case, make_video(tmp_path / "v.mp4", seconds=2), device_no="DSJ-9")
    client = client_for(org.officer_users[0])
    response = client.post(reverse("web:recording_explanation", args=[case.pk, recording.pk]))
    record = Record.objects.get(case=case, doc_type="av_evidence_note")
    assert response["Location"] == reverse("web:record_detail", args=[case.pk, record.pk])
    assert record.data["sha256"] == recording.sha256 and org.officers[0].cert_no in record.data["maker"]
    assert record.data["extractor"] == org.officer_users[0].display_name and "proves" not in record.data


def test_another_agency_cannot_open_a_recording(org, other_org, tmp_path):
    case = org.open_case()
    recording, _ = ingest(org, case, make_video(tmp_path / "v.mp4", seconds=1))
    client = client_for(other_org.head)
    assert client.get(reverse("web:recording_detail", args=[case.pk, recording.pk])).status_code == 404
    assert client.get(reverse("web:recording_download", args=[case.pk, recording.pk])).status_code == 404
    assert not Entry.objects.filter(action__startswith="recording.", actor=other_org.head.username).exists()
