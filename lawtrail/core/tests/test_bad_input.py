"""Hostile input end to end: file names, markup in every kind of text field, concurrent
writes to one upload, and media that lies about itself. Each gets a clear answer or is
stored safely; nothing crashes and nothing is lost."""

import base64
import threading

import pytest
import requests
from django.test import Client
from django.urls import reverse

from lawtrail.core.text import clean_filename
from lawtrail.media.models import Recording
from lawtrail.media.services import describe, recording_ingest
from lawtrail.org.services import token_create
from lawtrail.testing import Org, sign_in

TUS = {"Tus-Resumable": "1.0.0"}


@pytest.mark.parametrize("given,kept", [
    ("../../etc/passwd", "passwd"),
    ("..\\\\windows\\\\system32\\\\现场.mp4", "现场.mp4"),
    ("现场\x00\x07\x1b[31m录像\u202e4pm.mp4", "现场[31m录像4pm.mp4"),
    ("..", "文件"),
    ("", "文件"),
    ("现场录像.mp4".encode("gbk").decode("utf-8", "surrogateescape"), "现场录像.mp4"),  # GBK bytes on disk
    ("录像\ud800.mp4", "录像\ufffd.mp4"),  # half a UTF-16 pair, no byte behind it
])
def test_file_names_lose_directories_and_control_characters(given, kept):
    assert clean_filename(given) == kept


def test_a_4kb_file_name_is_cut_keeping_its_extension():
    name = clean_filename("录" * 4096 + ".mp4")
    assert len(name) == 255 and name.endswith(".mp4")


def upload(live_server, token, metadata, body):
    encoded = ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in metadata.items())
    created = requests.post(f"{live_server.url}/api/uploads/", headers={
        **TUS, "Authorization": f"Bearer {token}", "Upload-Length": str(len(body)), "Upload-Metadata": encoded})
    return created


def test_hostile_names_through_tus_are_stored_as_labels_only(live_server, transactional_db, tmp_path):
    org = Org("bad", profile="004")
    case = org.open_case()
    token = token_create(actor=None, username=org.officer_users[0].username)
    body = b"\x00" * 2048
    metadata = {"filename": "../../" + "名" * 3000 + "\x1b.mp4", "case_no": case.case_no,
                "officer_cert": org.officers[0].cert_no}
    created = upload(live_server, token, metadata, body)
    assert created.status_code == 201
    done = requests.patch(created.headers["Location"], data=body, headers={
        **TUS, "Authorization": f"Bearer {token}", "Upload-Offset": "0",
        "Content-Type": "application/offset+octet-stream"})
    assert done.status_code == 204
    recording = Recording.objects.get()
    assert "/" not in recording.filename and "\x1b" not in recording.filename
    assert len(recording.filename) == 255 and recording.filename.endswith(".mp4") and recording.flagged


def test_concurrent_patches_on_one_upload_keep_one_and_refuse_the_other(live_server, transactional_db):
    org = Org("bad", profile="004")
    case = org.open_case()
    token = token_create(actor=None, username=org.officer_users[0].username)
    body = bytes(range(256)) * 4096  # 1 MiB
    url = upload(live_server, token, {"filename": "a.bin", "case_no": case.case_no,
                                      "officer_cert": org.officers[0].cert_no}, body).headers["Location"]
    statuses = []

    def send():
        statuses.append(requests.patch(url, data=body, headers={
            **TUS, "Authorization": f"Bearer {token}", "Upload-Offset": "0",
            "Content-Type": "application/offset+octet-stream"}).status_code)

    threads = [threading.Thread(target=send) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) in ([204, 409], [204, 404])  # the loser finds the offset moved on, or the upload done
    recording = Recording.objects.get()
    assert recording.size == len(body)


@pytest.mark.django_db
def test_markup_in_text_fields_is_shown_as_text(org):
    script = '<script>alert("x")</script>'
    case = org.open_case(title=f"案由{script}", start_reason=script, summary=script)
    record = org.final_record(case, "inquiry_record", place=script)
    client = sign_in(Client(), org.head)
    for url in (reverse("web:case_detail", args=[case.pk]), reverse("web:case_list"),
                reverse("web:record_detail", args=[case.pk, record.pk]), reverse("web:home")):
        page = client.get(url).content.decode()
        assert script not in page, url
    assert "&lt;script&gt;" in client.get(reverse("web:case_detail", args=[case.pk])).content.decode()


@pytest.mark.django_db
def test_a_file_claiming_a_hundred_hours_is_stored_and_shown(org, tmp_path):
    """A WAV header that announces 4 GiB of 8 kHz samples (about 149 hours) over 4 KiB of data."""
    import struct

    path = tmp_path / "百小时.wav"
    claimed = 0xFFFFFFF0
    path.write_bytes(b"RIFF" + struct.pack("<I", 0xFFFFFFFF) + b"WAVE"
                     + b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, 8000, 8000, 1, 8)
                     + b"data" + struct.pack("<I", claimed) + bytes(range(256)) * 16)
    case = org.open_case()
    description = describe(org.officer_users[0], {"case_no": case.case_no, "officer_cert": org.officers[0].cert_no,
                                                  "activity": "inquiry"})
    recording, _ = recording_ingest(actor=org.officer_users[0], path=path, description=description,
                                    filename=path.name)
    assert recording.size == path.stat().st_size  # stored byte for byte
    assert recording.flagged or recording.duration < 100 * 3600  # the lie is flagged, or not believed
    client = sign_in(Client(), org.officer_users[0])
    assert client.get(reverse("web:case_detail", args=[case.pk])).status_code == 200
    assert client.get(reverse("web:recording_detail", args=[case.pk, recording.pk])).status_code == 200


@pytest.mark.parametrize("value,expected", [
    ("42", 42), (7, 7), ("", None), (None, None), ("-1", None), ("1e3", None), ("４２", None),
    ("9" * 18, int("9" * 18)), ("9" * 19, None), ("<script>", None), ("²", None),
])
def test_a_number_from_a_form_is_at_most_18_ascii_digits_or_nothing(value, expected):
    from lawtrail.core.text import number_or_none

    assert number_or_none(value) == expected


@pytest.mark.django_db
def test_a_form_sent_to_an_endpoint_that_reads_json_is_told_to_send_json():
    org = Org("form")
    case = org.open_case()
    client = sign_in(Client(enforce_csrf_checks=False), org.head)
    response = client.post(f"/api/cases/{case.pk}/parties", {"name": "张三"})  # multipart, as a form posts
    assert response.status_code == 415
    assert "application/json" in response.json()["detail"]
    assert case.parties.count() == 1
