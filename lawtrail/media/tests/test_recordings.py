"""Dock import, odd files, metadata, deadlines and gaps, through the services and the CLI."""

import datetime
import hashlib
import json
import random

import pytest
from django.utils import timezone
from PIL import Image

from lawtrail.archive.integrity import verify_ledger
from lawtrail.blobs import blob_store
from lawtrail.cli import main
from lawtrail.core.errors import InvalidInput, NotAllowed
from lawtrail.ledger.models import Entry
from lawtrail.media.models import Recording
from lawtrail.media.selectors import case_coverage, unexplained_gaps
from lawtrail.media.services import describe, gap_explain, recording_ingest
from lawtrail.org.enums import Role
from lawtrail.samples import make_audio, make_photo, make_video
from lawtrail.testing import Org, replace_blob

CST = datetime.timezone(datetime.timedelta(hours=8))


def ingest(org, case, path, **meta):
    description = describe(org.officer_users[0], {"case_no": case.case_no, "officer_cert": org.officers[0].cert_no,
                                                  **meta})
    return recording_ingest(actor=org.officer_users[0], path=path, description=description, filename=path.name)


def test_the_dock_import_is_idempotent_and_reports_duplicates(org, tmp_path, capsys):
    case = org.open_case()
    first = make_video(tmp_path / "DCIM_0001.MP4", seconds=2)
    second = make_video(tmp_path / "DCIM_0002.MP4", seconds=3)
    args = ["ingest", str(first), str(second), "--case", case.case_no, "--officer", org.officers[0].cert_no,
            "--activity", "site_inspection", "--device", "DSJ-001", "--json", "--quiet"]
    assert main(args) == 0
    results = json.loads(capsys.readouterr().out)
    assert [r["status"] for r in results] == ["stored", "stored"]
    assert main(args) == 0
    again = json.loads(capsys.readouterr().out)
    assert [r["status"] for r in again] == ["duplicate", "duplicate"]
    assert [r["sha256"] for r in again] == [r["sha256"] for r in results]
    assert Recording.objects.filter(case=case).count() == 2
    assert Entry.objects.filter(action="recording.create").count() == 2
    recording = Recording.objects.get(sha256=results[0]["sha256"])
    assert recording.device_no == "DSJ-001" and recording.source == "dock"
    assert recording.sha256 == hashlib.sha256(first.read_bytes()).hexdigest()
    assert first.exists()  # the dock's copy is left where it was


def test_the_dock_import_reads_a_gbk_file_name_off_a_windows_formatted_card(org, tmp_path, capsys):
    """A card written by a Chinese camera or Windows holds GBK names, which Python hands over
    with each stray byte as a lone surrogate (no database takes those): the name is read as
    GB18030, stored and shown as the officer sees it; a case number typed in such a terminal
    gets a clear error."""
    import os

    case = org.open_case()
    video = make_video(tmp_path / "a.mp4", seconds=1)
    raw = os.fsencode(tmp_path) + b"/" + "执法记录仪_现场检查.MP4".encode("gbk")
    os.rename(video, raw)
    assert main(["ingest", os.fsdecode(raw), "--case", case.case_no, "--officer", org.officers[0].cert_no,
                 "--quiet", "--json"]) == 0
    [result] = json.loads(capsys.readouterr().out)
    assert result["status"] == "stored" and result["file"].endswith("执法记录仪_现场检查.MP4")
    recording = Recording.objects.get(pk=result["recording"])
    assert recording.filename == "执法记录仪_现场检查.MP4"
    assert "执法记录仪_现场检查.MP4" in Entry.objects.get(action="recording.create", object_id=str(recording.pk)).reason
    typed = "案".encode("gbk").decode("utf-8", "surrogateescape")
    assert main(["ingest", os.fsdecode(raw), "--case", typed, "--officer", org.officers[0].cert_no, "--quiet"]) == 2
    assert "不是 UTF-8 编码" in capsys.readouterr().err


def test_the_dock_import_prints_a_summary_and_fails_on_a_missing_file(org, tmp_path, capsys):
    case = org.open_case()
    video = make_video(tmp_path / "a.mp4", seconds=1)
    code = main(["ingest", str(video), str(tmp_path / "missing.mp4"), "--case", case.case_no,
                 "--officer", org.officers[0].cert_no, "--quiet"])
    out = capsys.readouterr().out
    assert code == 1 and "已保存" in out and "文件不存在" in out and "新保存 1，重复 0，失败 1" in out
    assert main(["ingest", str(video), "--case", case.case_no, "--officer", "000", "--quiet"]) == 2


def test_a_truncated_mp4_and_random_bytes_are_stored_and_flagged_not_lost(org, tmp_path):
    case = org.open_case()
    whole = make_video(tmp_path / "whole.mp4", seconds=6, faststart=True).read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(whole[: len(whole) * 6 // 10])
    noise = tmp_path / "noise.bin"
    # Fixed noise: now and then os.urandom's happens to pass for an audio stream's frames.
    noise.write_bytes(random.Random(20261123).randbytes(50_000))
    for path, reason in ((cut, "文件不完整"), (noise, "无法识别")):
        recording, created = ingest(org, case, path)
        assert created and recording.flagged and reason in recording.flag_reason
        with blob_store().open(recording.sha256) as f:
            assert f.read() == path.read_bytes()
    assert verify_ledger().ok


def test_a_whole_long_video_is_checked_on_its_last_seconds_and_a_short_cut_as_before(tmp_path, monkeypatch):
    """The check for a cut file reads the last two seconds first; only a file that does not
    reach its claimed end from there is read from 97 %, and gets the same verdict as ever."""
    import av

    from lawtrail.media import description

    starts = []
    demuxed_to = description._demuxed_to
    monkeypatch.setattr(description, "_demuxed_to", lambda container, seconds: (
        starts.append(round(seconds, 1)), demuxed_to(container, seconds))[1])
    whole = make_video(tmp_path / "whole.mp4", seconds=100, fps=2, size=(64, 48), faststart=True)
    found = description.probe(whole)
    assert found.duration == 100 and not found.flagged and starts == [98.0]
    with av.open(str(whole)) as container:  # cut after 98.5 s: within the 5 % the check allows
        end = next(p.pos for p in container.demux() if p.pts is not None and p.pts * p.time_base >= 98.5)
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(whole.read_bytes()[:end])
    starts.clear()
    found = description.probe(cut)
    assert not found.flagged and starts[0] == 98.0
    cut.write_bytes(whole.read_bytes()[:end * 9 // 10])  # about 10 s short: cut
    starts.clear()
    found = description.probe(cut)
    assert found.flagged and "文件不完整" in found.flag_reason and starts == [98.0, 97.0]


def test_metadata_device_time_and_receipt_time_are_kept(org, tmp_path):
    case = org.open_case()
    shot = timezone.now().replace(microsecond=0) - datetime.timedelta(hours=3)
    recording, _ = ingest(org, case, make_video(tmp_path / "v.mp4", seconds=5, creation_time=shot),
                          activity="site_inspection")
    assert recording.device_time == shot and recording.started_at == shot
    assert recording.ended_at == shot + datetime.timedelta(seconds=5)
    assert recording.receipt_gap >= datetime.timedelta(hours=3)
    assert recording.media_info["width"] == 320 and recording.media_info["streams"][0]["codec"] == "h264"
    with blob_store().open(recording.thumbnail_sha256) as f, Image.open(f) as poster:
        assert poster.format == "JPEG" and poster.size == (240, 180)  # a poster frame, 320 × 240 fitted to 320 × 180
    audio, _ = ingest(org, case, make_audio(tmp_path / "询问录音.m4a", seconds=2))
    assert audio.kind == "audio" and audio.duration == pytest.approx(2, abs=0.2) and not audio.flagged
    photo, _ = ingest(org, case, make_photo(tmp_path / "现场.jpg", datetime.datetime(2026, 10, 9, 9, 31)))
    assert photo.kind == "photo" and photo.device_time == datetime.datetime(2026, 10, 9, 9, 31, tzinfo=CST)
    assert photo.thumbnail_sha256


def test_a_late_upload_is_marked_with_its_article(db, tmp_path):
    org = Org("late", profile="001")  # 24 hours
    case = org.open_case()
    shot = timezone.now() - datetime.timedelta(days=3)
    recording, _ = ingest(org, case, make_video(tmp_path / "v.mp4", seconds=1, creation_time=shot))
    assert recording.late and "001 第二十三条" in recording.upload_due_basis
    fresh, _ = ingest(org, case, make_video(tmp_path / "w.mp4", seconds=2, creation_time=timezone.now()))
    assert not fresh.late
    assert "逾期上传" in Entry.objects.get(action="recording.create", object_id=str(recording.pk)).reason


def test_a_raw_stream_that_cannot_seek_is_stored_with_its_poster(org, tmp_path):
    """A camera's raw H.264 or H.265 export (no container, so no seeking back to the start;
    random bytes sometimes pass for one too): stored and described, never refused. It used
    to fail the probe, so an upload of it stayed unfinished whatever the client retried."""
    case = org.open_case()
    for name, codec in (("DSJ0001.h264", "libx264"), ("DSJ0002.h265", "libx265")):
        path = make_video(tmp_path / name, seconds=2, codec=codec)
        recording, created = ingest(org, case, path)
        assert created and recording.kind == "video" and recording.thumbnail_sha256, recording.flag_reason
        assert recording.media_info["width"] == 320
        with blob_store().open(recording.sha256) as f:
            assert f.read() == path.read_bytes()


def test_the_officer_stated_time_is_used_when_the_device_says_nothing(org, tmp_path):
    case = org.open_case()
    stated = datetime.datetime(2026, 11, 20, 9, 30, tzinfo=CST)
    recording, _ = ingest(org, case, make_video(tmp_path / "v.mp4", seconds=2), recorded_at=stated.isoformat())
    assert recording.device_time is None and recording.started_at == stated == recording.officer_time


def test_who_may_ingest(org, tmp_path):
    case = org.open_case()
    with pytest.raises(NotAllowed):
        describe(org.users[Role.ARCHIVIST], {"case_no": case.case_no, "officer_cert": org.officers[0].cert_no})
    with pytest.raises(InvalidInput, match="执法环节无效"):
        describe(org.officer_users[0], {"case_no": case.case_no, "officer_cert": org.officers[0].cert_no,
                                        "activity": "x"})


def segments(org, case, tmp_path, activity, starts, seconds=4):
    made = []
    for i, start in enumerate(starts):
        path = make_video(tmp_path / f"{activity}{i}.mp4", seconds=seconds + i * 0.1, creation_time=start)
        made.append(ingest(org, case, path, activity=activity)[0])
    return made


def test_a_gap_in_a_recording_that_must_be_continuous_is_flagged_until_explained(db, tmp_path):
    org = Org("gap", profile="004")  # 现场检查 must be recorded without interruption (第十五条)
    case = org.open_case()
    t0 = datetime.datetime(2026, 11, 20, 9, 0, tzinfo=CST)
    first, second, third = segments(org, case, tmp_path, "site_inspection",
                                    [t0, t0 + datetime.timedelta(seconds=5), t0 + datetime.timedelta(minutes=10)])
    [coverage] = case_coverage(case)
    assert coverage.required and coverage.cite == "004 第十五、二十三、二十八条"
    [gap] = coverage.gaps  # the 1-second split between first and second is not a gap
    assert (gap.before, gap.after) == (second, third)
    assert "未说明中止原因" in gap.message() and unexplained_gaps(case) == [gap]
    with pytest.raises(InvalidInput, match="请填写中止原因"):
        gap_explain(actor=org.officer_users[0], before=second, after=third, reason_kind="spoken", reason=" ")
    gap_explain(actor=org.officer_users[0], before=second, after=third, reason_kind="spoken",
                reason="设备电量耗尽，更换电池后继续记录")
    assert unexplained_gaps(case) == []
    assert "已说明：设备电量耗尽" in case_coverage(case)[0].gaps[0].message()


def test_a_gap_where_the_profile_does_not_require_continuity_is_shown_not_flagged(db, tmp_path):
    org = Org("gap2", profile="001")
    case = org.open_case()
    t0 = datetime.datetime(2026, 11, 20, 9, 0, tzinfo=CST)
    segments(org, case, tmp_path, "site_inspection", [t0, t0 + datetime.timedelta(minutes=10)])
    [coverage] = case_coverage(case)
    assert not coverage.required and len(coverage.gaps) == 1 and unexplained_gaps(case) == []


def test_verify_rehashes_stored_files_and_names_a_damaged_or_missing_one(org, tmp_path, capsys):
    case = org.open_case()
    recording, _ = ingest(org, case, make_video(tmp_path / "v.mp4", seconds=1))
    report = verify_ledger()
    assert report.ok and report.blobs >= 2 and report.blob_bytes >= recording.size
    with blob_store().open(recording.sha256) as f:
        original = f.read()
    replace_blob(recording.sha256, original[:-1] + bytes([original[-1] ^ 1]))  # one bit flipped
    problems = verify_ledger().problems
    assert [(p.kind, p.ref) for p in problems] == [("blob", f"media.recording:{recording.pk}.sha256")]
    assert "不符" in problems[0].message
    assert main(["verify"]) == 1 and "文件被篡改或损坏" in capsys.readouterr().out
    replace_blob(recording.sha256, None)
    assert "已丢失" in verify_ledger().problems[0].message
    replace_blob(recording.sha256, original)
    assert verify_ledger().ok


def test_a_cut_mp3_claims_more_than_it_holds_a_cut_raw_stream_claims_nothing(org, tmp_path):
    """An MP3's header counts its frames, so a cut one is flagged; a raw AAC stream's length
    is estimated from its size (and seeking it means scanning it), so it is not checked."""
    case = org.open_case()
    for container, name, flagged in (("mp3", "录音.mp3", True), ("adts", "录音.aac", False)):
        whole = make_audio(tmp_path / name, seconds=20, container=container).read_bytes()
        cut = tmp_path / f"cut-{name}"
        cut.write_bytes(whole[: len(whole) // 2])
        recording, _ = ingest(org, case, cut)
        assert recording.kind == "audio" and recording.flagged is flagged, recording.flag_reason
        assert not flagged or "文件不完整" in recording.flag_reason
        with blob_store().open(recording.sha256) as f:
            assert f.read() == cut.read_bytes()
