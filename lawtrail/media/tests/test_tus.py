"""The tus 1.0.0 endpoint with a standard client (tuspy) and raw HTTP for every error path."""

import base64
import datetime
import hashlib
import os
import socket
import subprocess
import sys
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlparse

import pytest
import requests
from django.db import connection
from django.utils import timezone
from tusclient import client as tus

from lawtrail.blobs import blob_store
from lawtrail.core.tests.server import kill, start
from lawtrail.ledger.models import Entry
from lawtrail.media import hashstate, uploads
from lawtrail.media.models import Recording, Upload, UploadStatus
from lawtrail.media.tests.test_body import Request, gunicorn_body
from lawtrail.media.tests.test_faults import server_home
from lawtrail.media.tus import OFFSET_TYPE
from lawtrail.media.uploads import upload_dir
from lawtrail.org.services import token_create
from lawtrail.samples import make_video
from lawtrail.testing import Org

TUS = {"Tus-Resumable": "1.0.0"}


@pytest.fixture
def av(transactional_db, tmp_path):
    org = Org("tus", profile="004")
    case = org.open_case()
    token = token_create(actor=None, username=org.officer_users[0].username)
    video = make_video(tmp_path / "现场检查.mp4", seconds=4)
    return org, case, token, video


def meta(org, case, **extra):
    return {"filename": "现场检查.mp4", "case_no": case.case_no, "officer_cert": org.officers[0].cert_no,
            "activity": "site_inspection", **extra}


def encoded(metadata):
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in metadata.items())


def create(live_server, token, metadata, length, **headers):
    return requests.post(f"{live_server.url}/api/uploads/", headers={
        **TUS, "Authorization": f"Bearer {token}", "Upload-Length": str(length),
        "Upload-Metadata": encoded(metadata), **headers})


def patch(url, token, offset, body, **headers):
    return requests.patch(url, data=body, headers={
        **TUS, "Authorization": f"Bearer {token}", "Upload-Offset": str(offset),
        "Content-Type": "application/offset+octet-stream", **headers})


def head(url, token):
    return requests.head(url, headers={**TUS, "Authorization": f"Bearer {token}"})


def test_tuspy_uploads_a_video_in_checksummed_chunks(live_server, av):
    org, case, token, video = av
    client = tus.TusClient(f"{live_server.url}/api/uploads/", headers={"Authorization": f"Bearer {token}"})
    uploader = client.uploader(str(video), chunk_size=4096, metadata=meta(org, case), upload_checksum=True)
    uploader.upload()
    content = video.read_bytes()
    recording = Recording.objects.get(case=case)
    assert recording.sha256 == hashlib.sha256(content).hexdigest() and recording.size == len(content)
    assert recording.kind == "video" and recording.duration == pytest.approx(4, abs=0.2)
    assert recording.activity == "site_inspection" and recording.officer == org.officers[0]
    assert recording.thumbnail_sha256 and not recording.flagged
    with blob_store().open(recording.sha256) as f:
        assert f.read() == content
    upload = Upload.objects.get(case=case)
    assert upload.status == UploadStatus.COMPLETED and upload.recording == recording
    assert not (upload_dir() / f"{upload.id}.part").exists()
    assert Entry.objects.filter(action="recording.create", object_id=str(recording.pk)).exists()
    response = head(uploader.url, token)
    assert response.headers["Upload-Offset"] == str(len(content)) == response.headers["Upload-Length"]
    assert response.headers["X-Content-SHA256"] == recording.sha256


RESUMABLE = textwrap.dedent("""
    import sys
    from tusclient import client
    from tusclient.storage.filestorage import FileStorage

    url, token, path, storage, mode = sys.argv[1:6]
    tus = client.TusClient(url, headers={"Authorization": "Bearer " + token})
    uploader = tus.uploader(path, chunk_size=3000, metadata=%r, store_url=True,
                            url_storage=FileStorage(storage))
    if mode == "half":
        for _ in range(2):
            uploader.upload_chunk()
        print(uploader.offset, flush=True)
        import os
        os._exit(9)  # cut off: the process dies without saying goodbye
    uploader.upload()
    print(uploader.offset)
""")


def test_an_upload_cut_off_half_way_is_resumed_by_another_process(live_server, av, tmp_path):
    org, case, token, video = av
    script = tmp_path / "client.py"
    script.write_text(RESUMABLE % meta(org, case))
    args = [sys.executable, str(script), f"{live_server.url}/api/uploads/", token, str(video), str(tmp_path / "urls")]
    first = subprocess.run(args + ["half"], capture_output=True, text=True, timeout=60)
    assert first.returncode == 9 and first.stdout.strip() == "6000", first.stderr
    upload = Upload.objects.get(case=case)
    assert upload.offset == 6000 and upload.status == UploadStatus.ACTIVE
    assert not Recording.objects.filter(case=case).exists()
    second = subprocess.run(args + ["rest"], capture_output=True, text=True, timeout=60)
    assert second.returncode == 0, second.stderr
    assert Upload.objects.count() == 1  # resumed, not started again
    recording = Recording.objects.get(case=case)
    assert recording.sha256 == hashlib.sha256(video.read_bytes()).hexdigest()


def test_bytes_received_before_a_dropped_connection_are_kept(live_server, av):
    org, case, token, video = av
    content = video.read_bytes()
    url = create(live_server, token, meta(org, case), len(content)).headers["Location"]
    target = urlparse(url)
    with socket.create_connection((target.hostname, target.port)) as sock:
        request = (f"PATCH {target.path} HTTP/1.1\r\nHost: {target.netloc}\r\nTus-Resumable: 1.0.0\r\n"
                   f"Authorization: Bearer {token}\r\nUpload-Offset: 0\r\n"
                   f"Content-Type: application/offset+octet-stream\r\nContent-Length: {len(content)}\r\n\r\n")
        sock.sendall(request.encode() + content[:5000])
        sock.shutdown(socket.SHUT_WR)  # the connection drops with most of the chunk unsent
        sock.recv(4096)
    offset = int(head(url, token).headers["Upload-Offset"])
    assert offset == 5000
    assert patch(url, token, offset, content[offset:]).status_code == 204
    assert Recording.objects.get(case=case).sha256 == hashlib.sha256(content).hexdigest()


def test_a_chunk_with_a_wrong_checksum_is_dropped_with_460(live_server, av):
    org, case, token, video = av
    content = video.read_bytes()
    url = create(live_server, token, meta(org, case), len(content)).headers["Location"]
    assert patch(url, token, 0, content[:1000]).status_code == 204
    wrong = base64.b64encode(hashlib.sha1(b"something else").digest()).decode()
    response = patch(url, token, 1000, content[1000:2000], **{"Upload-Checksum": f"sha1 {wrong}"})
    assert response.status_code == 460 and "校验值不一致" in response.json()["detail"]
    assert head(url, token).headers["Upload-Offset"] == "1000"
    right = base64.b64encode(hashlib.sha256(content[1000:]).digest()).decode()
    response = patch(url, token, 1000, content[1000:], **{"Upload-Checksum": f"sha256 {right}"})
    assert response.status_code == 204 and response.headers["X-Content-SHA256"] == hashlib.sha256(content).hexdigest()
    response = patch(url, token, 0, b"x", **{"Upload-Checksum": "md5 AAAA"})
    assert response.status_code in (400, 409, 422)


def test_protocol_errors_answer_with_the_tus_status_and_a_chinese_message(live_server, av):
    org, case, token, video = av
    base = f"{live_server.url}/api/uploads/"
    options = requests.options(base)
    assert options.status_code == 204 and options.headers["Tus-Version"] == "1.0.0"
    assert set(options.headers["Tus-Extension"].split(",")) >= {"creation", "checksum", "termination", "expiration"}
    assert options.headers["Tus-Checksum-Algorithm"] == "sha1,sha256"
    response = requests.post(base, headers={"Upload-Length": "10", "Authorization": f"Bearer {token}"})
    assert response.status_code == 412 and response.headers["Tus-Version"] == "1.0.0"
    assert requests.post(base, headers={**TUS, "Upload-Length": "10"}).status_code == 401
    assert create(live_server, "wrong-token", meta(org, case), 10).status_code == 401
    response = create(live_server, token, meta(org, case, case_no="不存在〔2026〕1号"), 10)
    assert response.status_code == 404 and "不存在" in response.json()["detail"]
    response = create(live_server, token, meta(org, case, officer_cert=""), 10)
    assert response.status_code == 422 and "执法证号" in response.json()["detail"]
    response = create(live_server, token, meta(org, case, activity="dancing"), 10)
    assert response.status_code == 422 and "执法环节无效" in response.json()["detail"]
    response = create(live_server, token, meta(org, case, recorded_at="昨天"), 10)
    assert response.status_code == 422 and "不是有效的时间" in response.json()["detail"]
    response = create(live_server, token, meta(org, case), 0)
    assert response.status_code == 422 and "文件为空" in response.json()["detail"]
    response = create(live_server, token, meta(org, case), 2**50)
    assert response.status_code == 413
    response = requests.post(base, headers={**TUS, "Authorization": f"Bearer {token}", "Upload-Length": "10",
                                            "Upload-Metadata": "filename !!!"})
    assert response.status_code == 422 and "base64" in response.json()["detail"]

    url = create(live_server, token, meta(org, case), 100).headers["Location"]
    response = requests.patch(url, data=b"abc", headers={**TUS, "Authorization": f"Bearer {token}",
                                                         "Upload-Offset": "0", "Content-Type": "text/plain"})
    assert response.status_code == 415
    response = patch(url, token, 50, b"abc")
    assert response.status_code == 409 and "已收到 0 字节" in response.json()["detail"]
    response = patch(url, token, 0, b"x" * 101)
    assert response.status_code == 413 and head(url, token).headers["Upload-Offset"] == "0"
    stranger = token_create(actor=None, username=org.officer_users[1].username)
    assert head(url, stranger).status_code == 404  # another user's upload does not exist for them
    assert Upload.objects.count() == 1 and not Recording.objects.exists()


def test_termination_drops_the_partial_upload_but_never_a_finished_one(live_server, av):
    org, case, token, video = av
    content = video.read_bytes()
    url = create(live_server, token, meta(org, case), len(content)).headers["Location"]
    patch(url, token, 0, content[:100])
    upload = Upload.objects.get()
    auth = {**TUS, "Authorization": f"Bearer {token}"}
    assert requests.delete(url, headers=auth).status_code == 204
    assert head(url, token).status_code == 404 and not (upload_dir() / f"{upload.id}.part").exists()
    url = create(live_server, token, meta(org, case), len(content)).headers["Location"]
    patch(url, token, 0, content)
    response = requests.delete(url, headers=auth)
    assert response.status_code == 409 and "不能删除" in response.json()["detail"]
    assert Recording.objects.filter(case=case).count() == 1


def test_an_expired_upload_is_gone(live_server, av):
    org, case, token, video = av
    response = create(live_server, token, meta(org, case), 100)
    assert "GMT" in response.headers["Upload-Expires"]
    Upload.objects.update(expires_at=timezone.now() - datetime.timedelta(minutes=1))
    response = patch(response.headers["Location"], token, 0, b"abc")
    assert response.status_code == 410 and "已过期" in response.json()["detail"]
    expired = Upload.objects.get()
    create(live_server, token, meta(org, case), 100)  # a new upload clears abandoned ones
    expired.refresh_from_db()
    assert expired.status == UploadStatus.TERMINATED and not (upload_dir() / f"{expired.id}.part").exists()


# The hole showed under gunicorn (which decodes the chunks): a real server on its own SQLite.
@pytest.mark.skipif(connection.vendor != "sqlite", reason="runs its own SQLite server; once is enough")
def test_a_chunked_body_is_refused_with_411_and_nothing_received_is_lost(tmp_path):
    """A chunked body has no Content-Length and Django reads none of it: it was answered 204
    with its bytes dropped. Now refused with a message saying what to send instead."""
    env, facts, port, base, auth = server_home(tmp_path / "home")
    server = start(env, port)
    try:
        content = os.urandom(5000)
        metadata = {"filename": "DSJ001.mp4", "case_no": facts["case_no"], "officer_cert": facts["cert"]}
        headers = {**auth, "Upload-Length": str(len(content)), "Upload-Metadata": encoded(metadata)}
        url = requests.post(base, headers=headers).headers["Location"]
        assert patch(url, facts["token"], 0, content[:1000]).status_code == 204
        response = patch(url, facts["token"], 1000, iter([content[1000:3000]]))  # a generator goes chunked
        assert response.status_code == 411 and "Content-Length" in response.json()["detail"]
        assert head(url, facts["token"]).headers["Upload-Offset"] == "1000"
        response = requests.post(base, data=iter([content]), headers={**headers, "Content-Type": OFFSET_TYPE})
        assert response.status_code == 411 and "Location" not in response.headers  # no upload opened
        response = patch(url, facts["token"], 1000, content[1000:])
        assert response.status_code == 204
        assert response.headers["X-Content-SHA256"] == hashlib.sha256(content).hexdigest()
    finally:
        kill(server)


def _lock_waiters(path):
    """How many flock() calls wait on the file (Linux's /proc/locks marks them with ->)."""
    inode = os.stat(path).st_ino
    with open("/proc/locks") as f:
        return sum("->" in line and f":{inode} " in line for line in f)


def test_the_loser_of_two_patches_at_once_leaves_no_partial_file(live_server, av):
    org, case, token, video = av
    content = video.read_bytes()
    url = create(live_server, token, meta(org, case), len(content)).headers["Location"]
    upload = Upload.objects.get()
    part = upload_dir() / f"{upload.id}.part"
    with ThreadPoolExecutor(2) as pool:
        with uploads.locked(upload):  # both requests queue behind it, then race
            sent = [pool.submit(patch, url, token, 0, content) for _ in range(2)]
            deadline = time.monotonic() + 30
            while _lock_waiters(part) < 2:
                assert time.monotonic() < deadline, "the two requests never reached the upload's lock"
                time.sleep(0.02)
        responses = [future.result() for future in sent]
    assert sorted(r.status_code for r in responses) == [204, 409]
    assert Recording.objects.get(case=case).sha256 == hashlib.sha256(content).hexdigest()
    assert not part.exists()


def test_creation_with_upload_takes_the_whole_file_in_one_request(live_server, av):
    org, case, token, video = av
    content = video.read_bytes()
    response = requests.post(f"{live_server.url}/api/uploads/", data=content, headers={
        **TUS, "Authorization": f"Bearer {token}", "Upload-Length": str(len(content)),
        "Upload-Metadata": encoded(meta(org, case)), "Content-Type": "application/offset+octet-stream"})
    assert response.status_code == 201 and response.headers["Upload-Offset"] == str(len(content))
    assert Recording.objects.get(pk=response.headers["X-Recording-Id"]).size == len(content)


@pytest.mark.parametrize("claimed, mismatch", [("same", False), ("other", True)])
def test_a_file_that_differs_from_the_hash_its_sender_computed_is_kept_and_flagged(live_server, av, claimed, mismatch):
    org, case, token, video = av
    content = video.read_bytes()
    sha256 = hashlib.sha256(content).hexdigest()
    sent = sha256 if claimed == "same" else hashlib.sha256(b"what the browser read").hexdigest()
    url = create(live_server, token, meta(org, case, sha256=sent), len(content)).headers["Location"]
    assert patch(url, token, 0, content).status_code == 204
    recording = Recording.objects.get(case=case)
    assert recording.sha256 == sha256  # kept as received, never refused
    assert recording.hash_mismatch is mismatch and recording.flagged is mismatch
    entry = Entry.objects.get(action="recording.create")
    assert ("校验值不一致" in recording.flag_reason and "校验值不一致" in entry.reason) is mismatch
    # Said in words to whoever reads it; the hashes stay in the ledger, for 技术详情.
    assert sent[:8] not in recording.flag_reason and sha256[:8] not in recording.flag_reason
    assert (f"上传前计算的 SHA-256 {sent}" in entry.reason) is mismatch


def test_bytes_lost_in_a_server_crash_are_asked_for_again(live_server, av):
    org, case, token, video = av
    content = video.read_bytes()
    url = create(live_server, token, meta(org, case), len(content)).headers["Location"]
    assert patch(url, token, 0, content[:3000]).status_code == 204
    upload = Upload.objects.get()
    with open(upload_dir() / f"{upload.id}.part", "r+b") as part:
        part.truncate(1200)  # the machine went down before the page cache reached the disk
    assert head(url, token).headers["Upload-Offset"] == "1200"
    assert patch(url, token, 3000, content[3000:]).status_code == 409
    assert patch(url, token, 1200, content[1200:]).status_code == 204
    assert Recording.objects.get(case=case).sha256 == hashlib.sha256(content).hexdigest()


def test_a_store_that_is_down_at_the_last_chunk_loses_nothing(live_server, av, settings, monkeypatch):
    """The object store unreachable when the last byte arrives: a clear 503, the bytes kept;
    once the store is back, asking where the upload stands finishes it."""
    org, case, token, video = av
    body = video.read_bytes()
    url = create(live_server, token, meta(org, case), len(body)).headers["Location"]
    assert patch(url, token, 0, body[:1000]).status_code == 204
    working = settings.LAWTRAIL_STORAGE
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "lawtrail")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "lawtrail-secret")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    settings.LAWTRAIL_STORAGE = "s3://unreachable-bucket"
    response = patch(url, token, 1000, body[1000:])
    assert response.status_code == 503 and "暂时不可用" in response.json()["detail"]
    assert not Recording.objects.exists()
    assert head(url, token).status_code == 503  # still down: asking says so again
    settings.LAWTRAIL_STORAGE = working  # the store is back
    response = head(url, token)
    assert response.status_code == 200 and response.headers["Upload-Offset"] == str(len(body))
    recording = Recording.objects.get()
    assert recording.sha256 == hashlib.sha256(body).hexdigest()
    with blob_store().open(recording.sha256) as f:
        assert f.read() == body


def test_asking_never_disturbs_a_request_at_work_on_the_same_upload(live_server, av):
    """A HEAD while another request holds the upload (here: the test holds its lock, as a
    PATCH receiving or storing the last chunk would) answers at once from the database and
    leaves the partial file alone; once free, the next question puts a crash right."""
    org, case, token, video = av
    body = video.read_bytes()
    url = create(live_server, token, meta(org, case), len(body)).headers["Location"]
    assert patch(url, token, 0, body[:4000]).status_code == 204
    upload = Upload.objects.get()
    part = upload_dir() / f"{upload.id}.part"
    with uploads.locked(upload):
        with open(part, "r+b") as f:
            f.truncate(1000)  # what a writer at work may briefly leave, or a crash for good
        response = head(url, token)
        assert response.status_code == 200 and response.headers["Upload-Offset"] == "4000"
        assert part.stat().st_size == 1000
    response = head(url, token)  # nobody holds it now: the disk says 1000, resume from there
    assert response.headers["Upload-Offset"] == "1000"
    assert patch(url, token, 1000, body[1000:]).status_code == 204
    assert Recording.objects.get(case=case).sha256 == hashlib.sha256(body).hexdigest()
    assert not part.exists()  # the partial file goes once the upload is completed


@pytest.mark.parametrize("asked_by", ["HEAD", "an empty PATCH at the end"])
def test_a_crash_after_the_store_took_the_file_is_finished_by_the_next_question(live_server, av, asked_by):
    """Killed after the file reached the store but before the recording was committed: the
    partial file is still there (it goes only after completion), so asking finishes it, and
    so does a client that sends the end again (a PATCH settles the upload under its lock)."""
    org, case, token, video = av
    body = video.read_bytes()
    url = create(live_server, token, meta(org, case), len(body)).headers["Location"]
    assert patch(url, token, 0, body[:1000]).status_code == 204
    upload = Upload.objects.get()
    part = upload_dir() / f"{upload.id}.part"
    with open(part, "ab") as f:
        f.write(body[1000:])
    sha256 = hashlib.sha256(body).hexdigest()
    blob_store().adopt(part, sha256, consume=False)  # the store has it …
    Upload.objects.filter(pk=upload.pk).update(offset=len(body))  # … the recording never came
    if asked_by == "HEAD":
        response = head(url, token)
        assert response.status_code == 200 and response.headers["X-Content-SHA256"] == sha256
    else:
        response = patch(url, token, len(body), b"")
        assert response.status_code == 204 and response.headers["Upload-Offset"] == str(len(body))
    assert Recording.objects.get(case=case).sha256 == sha256 and not part.exists()
    assert Upload.objects.get().status == UploadStatus.COMPLETED


def test_a_length_in_digits_python_reads_but_int_refuses_is_a_clear_422(live_server, av):
    """"²" is a digit to str.isdigit and not to int(): refused, not a server error."""
    org, case, token, _ = av
    for length in ("²", "9" * 19):
        response = create(live_server, token, meta(org, case), length)
        assert response.status_code == 422 and "Upload-Length 须为非负整数" in response.json()["detail"]


@pytest.mark.skipif(not hashstate.AVAILABLE, reason="OpenSSL's SHA256_* functions are not at hand")
@pytest.mark.parametrize("next_chunk_to", ["the same process", "another process"])
def test_a_long_chunk_is_answered_before_its_hash_is_done_and_the_digest_still_comes_out_right(
        live_server, av, monkeypatch, next_chunk_to):
    """A chunk of HASH_BEHIND_FROM or more is answered once its bytes are in the file: its
    hash goes on behind (here held until the answer is in). The saved state then stands at
    the chunk before until the hash's thread saves the chunk's own; the next chunk takes up
    the running hash in the same process, or the saved state in another."""
    import threading

    org, case, token, _ = av
    first = uploads.HASH_BEHIND_FROM
    content = os.urandom(first + 1000)
    url = create(live_server, token, meta(org, case), len(content)).headers["Location"]
    held, update = threading.Event(), hashstate.ResumableSha256.update

    def held_update(self, data):
        held.wait()
        update(self, data)

    monkeypatch.setattr(hashstate.ResumableSha256, "update", held_update)
    try:
        answer = requests.patch(url, data=content[:first], timeout=60, headers={
            **TUS, "Authorization": f"Bearer {token}", "Upload-Offset": "0",
            "Content-Type": "application/offset+octet-stream"})  # times out (fails) if it waited for the hash
        assert answer.status_code == 204 and int(answer.headers["Upload-Offset"]) == first
        upload = Upload.objects.get(case=case)
        assert upload.offset == first and hashstate.resume(upload.hash_state, first).length == 0
    finally:
        held.set()
    for _ in range(600):  # its thread saves the chunk's own state once done, the upload still standing there
        if hashstate.resume(Upload.objects.get(case=case).hash_state, first).length == first:
            break
        time.sleep(0.05)
    else:
        pytest.fail("the state of the finished hash was not saved")
    if next_chunk_to == "another process":
        uploads._digests.clear()
    assert patch(url, token, first, content[first:]).status_code == 204
    assert Recording.objects.get(case=case).sha256 == hashlib.sha256(content).hexdigest()


@pytest.mark.skipif(not hashstate.AVAILABLE, reason="OpenSSL's SHA256_* functions are not at hand")
def test_a_worker_that_did_not_take_the_last_chunk_goes_on_hashing_without_reading_back(live_server, av,
                                                                                        monkeypatch):
    org, case, token, video = av
    content = video.read_bytes()
    url = create(live_server, token, meta(org, case), len(content)).headers["Location"]
    third = len(content) // 3
    assert patch(url, token, 0, content[:third]).status_code == 204

    def no_rehash():
        raise AssertionError("the partial file was hashed again")

    monkeypatch.setattr(hashstate, "sha256", no_rehash)
    for start in (third, 2 * third):
        uploads._digests.clear()  # the next chunk goes to a process that has not seen this upload
        upload = Upload.objects.get(case=case)
        assert upload.offset == start and hashstate.resume(upload.hash_state, start).length == start
        end = len(content) if start == 2 * third else 2 * third
        assert patch(url, token, start, content[start:end]).status_code == 204
    assert Recording.objects.get(case=case).sha256 == hashlib.sha256(content).hexdigest()


def test_bytes_of_a_block_cut_short_by_a_reset_are_counted_as_kept(db, tmp_path):
    """A read that fails half-way through a block (a reset, a timeout) after some of its
    bytes came: those bytes were written and hashed, so they count in the offset, and the
    client's resend from there gives the file's own SHA-256 (they were hashed, not counted,
    and the resend hashed them twice)."""
    from lawtrail.media.services import upload_append, upload_create

    org = Org("reset", profile="004")
    case, officer = org.open_case(), org.officer_users[0]
    content = os.urandom(20_000)
    upload = upload_create(actor=officer, length=len(content), metadata=meta(org, case))
    server, client = socket.socketpair()
    with server, client:
        server.settimeout(0.3)  # the client sends 5,000 bytes of 20,000 and nothing more: the read fails
        client.sendall(content[:5000])
        body, _ = gunicorn_body(server, len(content))
        upload = upload_append(actor=officer, upload_id=upload.id, offset=0, stream=Request(body), length=len(content))
    assert upload.offset == 5000 and Upload.objects.get(pk=upload.pk).offset == 5000
    server, client = socket.socketpair()
    with server, client:
        server.settimeout(5)
        client.sendall(content[5000:])
        body, _ = gunicorn_body(server, len(content) - 5000)
        upload_append(actor=officer, upload_id=upload.id, offset=5000, stream=Request(body), length=len(content) - 5000)
    assert Recording.objects.get(case=case).sha256 == hashlib.sha256(content).hexdigest()
