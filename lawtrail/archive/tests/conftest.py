import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from lawtrail.media.services import describe, recording_ingest
from lawtrail.records.services import record_attach, record_create, record_finalise
from lawtrail.records.catalog import doc_type
from lawtrail.samples import make_audio, make_video, png_bytes
from lawtrail.testing import complete_data, sign_all


def ingest(org, case, path, *, activity="site_inspection", recorded_at=None):
    description = describe(org.officer_users[0], {
        "case_no": case.case_no, "officer_cert": org.officers[0].cert_no, "activity": activity,
        "device_no": "DSJ-0001", "recorded_at": recorded_at.isoformat() if recorded_at else None})
    recording, _ = recording_ingest(actor=org.officer_users[0], path=path, description=description,
                                    filename=path.name)
    return recording


def evidence_note(org, case, recording):
    """The 视听资料文字说明 that makes a recording evidence (000 第二十七条)."""
    return org.final_record(case, "av_evidence_note", recording=recording.filename, sha256=recording.sha256)


def attached_record(org, case, code="site_inspection_record"):
    record = record_create(actor=org.officer_users[0], case=case, doc_type_code=code,
                           data=complete_data(doc_type(code)))
    record_attach(actor=org.officer_users[0], record=record,
                  upload=SimpleUploadedFile("现场照片.png", png_bytes(), content_type="image/png"),
                  description="现场照片")
    sign_all(org, record)
    return record_finalise(actor=org.officer_users[0], record=record)


def archived_patrol(tmp_path, letter, recorded_at, before_closing=None):
    """An archived 日常巡查 case under 002 (footage kept 6 months) with one recording made
    at `recorded_at`: (org, case, recording). `before_closing(org, case)` adds to it while open."""
    from lawtrail.cases.enums import MatterType
    from lawtrail.testing import Org

    org = Org(letter, profile="002")
    case = org.open_case(matter_type=MatterType.PATROL)
    org.final_record(case, "filing_approval")
    recording = ingest(org, case, make_video(tmp_path / "巡查.mp4", seconds=1, creation_time=recorded_at),
                       activity="patrol")
    if before_closing:
        before_closing(org, case)
    org.conclude(case)
    org.final_record(case, "closing_report")
    org.archive(case)
    case.refresh_from_db()
    return org, case, case.recordings.get(pk=recording.pk)


@pytest.fixture
def full_case(org, tmp_path):
    """An archived penalty case with records of every stage, an attachment, a video used
    as evidence (with its 文字说明) and an audio recording."""
    case = org.open_case()
    org.final_record(case, "filing_approval")
    attached_record(org, case)
    video = ingest(org, case, make_video(tmp_path / "DSJ0001_现场检查.mp4", seconds=2))
    audio = ingest(org, case, make_audio(tmp_path / "询问录音.m4a", seconds=1), activity="inquiry",
                   recorded_at=timezone.now() - datetime.timedelta(hours=1))
    evidence_note(org, case, video)
    org.conclude(case)
    org.final_record(case, "closing_report")
    org.archive(case, notes="案卷齐全")
    case.refresh_from_db()
    case.video, case.audio = video, audio
    return case
