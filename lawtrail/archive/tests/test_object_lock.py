"""S3 Object Lock (COMPLIANCE mode) on a real SeaweedFS server: the store itself refuses to
delete or shorten the retention of evidence before its expiry, follows legal holds, and
lets an approved disposal remove every version once the date has passed."""

import datetime
import json
import uuid

import boto3
import pytest
from botocore.exceptions import ClientError
from django.utils import timezone

from lawtrail.archive.locks import case_locks_apply, lock_until
from lawtrail.archive.models import DecisionStatus
from lawtrail.archive.retention import case_file_retention, recording_retention
from lawtrail.archive.services import disposal_decide, disposal_request, hold_place, hold_release
from lawtrail.blobs import blob_store
from lawtrail.blobs.base import BlobLocked
from lawtrail.cli import main
from lawtrail.core.errors import Conflict
from lawtrail.org.enums import Role
from lawtrail.samples import make_video
from lawtrail.testing import Org

from .conftest import archived_patrol, attached_record, ingest

pytestmark = pytest.mark.django_db
LONG_AGO = timezone.now().replace(microsecond=0) - datetime.timedelta(days=200)


@pytest.fixture
def locked(s3_server, settings):
    """A fresh bucket created with Object Lock, as the store of this test."""
    bucket = f"lawtrail-locked-{uuid.uuid4().hex[:12]}"
    client = boto3.client("s3")
    client.create_bucket(Bucket=bucket, ObjectLockEnabledForBucket=True)
    settings.LAWTRAIL_STORAGE = f"s3://{bucket}/blobs"
    store = blob_store()
    assert store.locking
    return store


def _raw_versions(store, sha256):
    listing = store.client.list_object_versions(Bucket=store.bucket, Prefix=store.key(sha256))
    return [v["VersionId"] for v in listing.get("Versions", [])]


def test_a_plain_bucket_is_not_locking(s3_server, settings):
    bucket = f"lawtrail-plain-{uuid.uuid4().hex[:12]}"
    boto3.client("s3").create_bucket(Bucket=bucket)
    settings.LAWTRAIL_STORAGE = f"s3://{bucket}/blobs"
    store = blob_store()
    assert not store.locking
    sha256, _, _ = store.put(b"plain")
    assert store.lock_state(sha256).until is None and not store.lock_state(sha256).blocks_deletion()


def test_a_new_blob_is_locked_in_compliance_mode_and_nobody_can_remove_it(locked, settings):
    sha256, size, created = locked.put(b"body-camera footage" * 100)
    assert created and size == 1900
    state = locked.lock_state(sha256)
    expected = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=settings.LAWTRAIL_OBJECT_LOCK_DAYS)
    assert abs((state.until - expected).total_seconds()) < 120
    assert state.blocks_deletion() and "合规保留锁定至" in state.text

    # Not through LawTrail's own store…
    with pytest.raises(BlobLocked):
        locked.delete(sha256)
    # …nor with the bucket owner's credentials straight against S3: delete the version,
    # bypass the retention, shorten it, or overwrite the key.
    client, key = locked.client, locked.key(sha256)
    (version,) = _raw_versions(locked, sha256)
    for attempt in (
        lambda: client.delete_object(Bucket=locked.bucket, Key=key, VersionId=version),
        lambda: client.delete_object(Bucket=locked.bucket, Key=key, VersionId=version, BypassGovernanceRetention=True),
        lambda: client.put_object_retention(Bucket=locked.bucket, Key=key, Retention={
            "Mode": "COMPLIANCE", "RetainUntilDate": state.until - datetime.timedelta(days=30)}),
    ):
        with pytest.raises(ClientError) as refused:
            attempt()
        assert refused.value.response["Error"]["Code"] == "AccessDenied"
    client.put_object(Bucket=locked.bucket, Key=key, Body=b"forged")
    original = client.get_object(Bucket=locked.bucket, Key=key, VersionId=version)["Body"].read()
    assert original == b"body-camera footage" * 100  # the original version is still there, intact
    assert locked.exists(sha256)


def test_large_files_go_up_as_multipart_uploads_and_are_locked_too(locked, tmp_path, monkeypatch):
    from boto3.s3.transfer import TransferConfig

    monkeypatch.setattr(locked, "transfer", TransferConfig(multipart_threshold=5 * 2**20,
                                                           multipart_chunksize=5 * 2**20))
    data = bytes(range(256)) * (12 * 2**20 // 256)
    sha256, size, _ = locked.put(data)
    head = locked.client.head_object(Bucket=locked.bucket, Key=locked.key(sha256))
    assert head["ETag"].strip('"').endswith("-3")  # three parts
    assert size == len(data) and locked.digest(sha256) == (sha256, len(data))
    assert locked.lock_state(sha256).blocks_deletion()


def test_locks_follow_the_retention_rules_and_legal_holds(locked, tmp_path, django_capture_on_commit_callbacks):
    org = Org("l")  # 000: footage at least 2 years, penalty evidence for ever, case file 30 years
    case = org.open_case()
    org.final_record(case, "filing_approval")
    recording = ingest(org, case, make_video(tmp_path / "DSJ0001.mp4", seconds=1))
    record = attached_record(org, case)

    states = case_locks_apply(case)
    expected = lock_until(recording_retention(recording))
    assert states[recording.sha256].until == expected == locked.lock_state(recording.sha256).until
    # The case file's 30 years run from archiving, not yet fixed: locked from today at least.
    assert expected >= timezone.now() + datetime.timedelta(days=30 * 365)
    attachment = record.attachments.get()
    assert locked.lock_state(attachment.sha256).until == lock_until(case_file_retention(case))
    assert not any(state.hold for state in states.values())

    # A hold (here: litigation) puts every file of the case under the store's legal hold,
    # applied in the background once the hold is committed; releasing it lifts them.
    with django_capture_on_commit_callbacks(execute=True):
        hold = hold_place(actor=org.users[Role.ARCHIVIST], case=case, kind="litigation", reason="当事人已起诉")
    assert locked.lock_state(recording.sha256).hold and locked.lock_state(attachment.sha256).hold
    with django_capture_on_commit_callbacks(execute=True):
        hold_release(actor=org.users[Role.ARCHIVIST], hold=hold, reason="判决已生效")
    assert not locked.lock_state(recording.sha256).hold
    # A lock is never shortened, whatever is applied later.
    assert locked.lock_state(recording.sha256).until == expected


def test_the_same_bytes_held_in_another_case_stay_held(locked, tmp_path):
    org = Org("m")
    first, second = org.open_case(), org.open_case()
    video = make_video(tmp_path / "同一文件.mp4", seconds=1)
    one, two = ingest(org, first, video), ingest(org, second, video)
    assert one.sha256 == two.sha256
    hold_place(actor=org.users[Role.ARCHIVIST], case=second, kind="review", reason="已申请复议")
    assert case_locks_apply(second)[one.sha256].hold
    assert case_locks_apply(first)[one.sha256].hold  # first has no hold, second still needs it


@pytest.fixture
def expired_patrol(locked, tmp_path):
    """An archived 002 日常巡查 case whose footage (kept 6 months) expired in the database."""
    return archived_patrol(tmp_path, "n", LONG_AGO)


def test_disposal_waits_for_the_store_lock(locked, expired_patrol):
    org, case, recording = expired_patrol
    # Uploaded today, so the store keeps it LAWTRAIL_OBJECT_LOCK_DAYS more although the
    # database says the six months have passed: the head's approval is refused, clearly.
    request = disposal_request(actor=org.users[Role.ARCHIVIST], case=case, recording=recording,
                               reason="日常巡查声像资料保存已满 6 个月")
    with pytest.raises(Conflict) as refused:
        disposal_decide(actor=org.head, request=request, approve=True, reason="同意销毁")
    assert "合规保留锁定至" in refused.value.message and "期满前任何人都无法删除" in refused.value.message
    request.refresh_from_db()
    assert request.status == DecisionStatus.PENDING and locked.exists(recording.sha256)


def test_an_expired_unlocked_blob_is_disposed_of_with_all_its_versions(locked, tmp_path, settings, capsys,
                                                                      django_capture_on_commit_callbacks):
    settings.LAWTRAIL_OBJECT_LOCK_DAYS = 0  # nothing locked before the rules speak
    org, case, recording = archived_patrol(tmp_path, "o", LONG_AGO)
    states = case_locks_apply(case)
    assert states[recording.sha256].until is None  # its six months are over: no lock to set
    assert states[recording.sha256].hold is False
    assert main(["lock", case.case_no]) == 0  # and `lawtrail lock` does not call it locked
    out = capsys.readouterr().out
    expired = sum(not s.blocks_deletion() for s in states.values())  # the footage and its poster frame
    assert expired >= 2 and f"文件 {len(states)} 个，{len(states) - expired} 个已锁定" in out
    assert f"{expired} 个保存期已满、未锁定" in out
    locked.client.put_object(Bucket=locked.bucket, Key=locked.key(recording.sha256), Body=b"second version")
    assert len(_raw_versions(locked, recording.sha256)) == 2

    request = disposal_request(actor=org.users[Role.ARCHIVIST], case=case, recording=recording,
                               reason="日常巡查声像资料保存已满 6 个月")
    with django_capture_on_commit_callbacks(execute=True):
        disposal_decide(actor=org.head, request=request, approve=True, reason="同意销毁")
    assert not locked.exists(recording.sha256)
    assert _raw_versions(locked, recording.sha256) == []  # not hidden behind a delete marker: gone


def test_lawtrail_lock_applies_every_case(locked, tmp_path, capsys):
    org = Org("p")
    case = org.open_case()
    recording = ingest(org, case, make_video(tmp_path / "DSJ0002.mp4", seconds=1))
    assert main(["lock", case.case_no, "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["case_no"] == case.case_no and row["files"] >= 2  # the video and its poster frame
    assert row["locked"] == row["files"]
    assert locked.lock_state(recording.sha256).until == lock_until(recording_retention(recording))
    assert main(["lock", "不存在-1"]) == 2
    assert "没有案号为 不存在-1 的案件" in capsys.readouterr().err


def test_lawtrail_lock_says_when_the_store_cannot_lock(db, capsys):
    assert main(["lock"]) == 2  # the suite's own store: local disk, or a bucket without Object Lock
    assert "不支持合规保留锁定" in capsys.readouterr().err
