"""Every rule, satisfied and violated, on case histories made through the real services."""

import datetime

import pytest
from django.db import connection
from django.utils import timezone

from lawtrail.cases.enums import Procedure
from lawtrail.cases.services import case_transition
from lawtrail.media.services import gap_explain
from lawtrail.media.tests.test_recordings import CST, ingest, segments
from lawtrail.org.enums import Role
from lawtrail.org.models import Agency
from lawtrail.records.catalog import doc_type
from lawtrail.records.services import record_create, record_finalise, record_refuse
from lawtrail.rules.engine import evaluate
from lawtrail.rules.models import Finding
from lawtrail.rules.services import findings_refresh
from lawtrail.samples import make_video
from lawtrail.testing import Org, complete_data, sign_all


def final(org, case, code, **data):
    record = record_create(actor=org.officer_users[0], case=case, doc_type_code=code,
                           data={**complete_data(doc_type(code)), **data})
    sign_all(org, record)
    return record_finalise(actor=org.officer_users[0], record=record)


def step(org, case, name, who=None):
    actor = who or (org.head if name in ("approve_start", "decide", "approve_emergency") else
                    org.users[Role.ARCHIVIST] if name == "archive" else org.officer_users[0])
    case_transition(actor=actor, case=case, name=name, reason="依法办理")
    case.refresh_from_db()
    return case


def verdict(case, rule_id, now=None):
    [found] = [f for f in evaluate(case, now) if f.rule.id == rule_id]
    return found


@pytest.fixture
def org004(db):
    return Org("r4", profile="004")


def test_start_approval(org004):
    org = org004
    case = org.open_case()
    assert verdict(case, "start.approval").status == "pending"
    bare = step(org, org.open_case(), "approve_start")
    found = verdict(bare, "start.approval")
    assert found.status == "violated" and "没有已定稿的立案（程序启动）审批表" in found.result.message
    assert found.cite == "004 第十条"
    final(org, case, "filing_approval")
    assert verdict(step(org, case, "approve_start"), "start.approval").status == "satisfied"
    simple = org.open_case(procedure=Procedure.SIMPLE)
    assert verdict(simple, "start.approval").status == "na"


def test_emergency_approval_deadline(org004):
    org = org004
    case = org.open_case()
    case_transition(actor=org.officer_users[0], case=case, name="emergency_start", reason="涉案林木正被转运")
    case.refresh_from_db()
    found = verdict(case, "start.emergency")
    assert found.status == "pending" and found.result.due == case.approval_due_at
    late = verdict(case, "start.emergency", now=case.approval_due_at + datetime.timedelta(hours=1))
    assert late.status == "violated" and "至今未补办" in late.result.message and late.cite == "004 第十一条"
    step(org, case, "approve_emergency")
    assert verdict(case, "start.emergency").status == "satisfied"
    assert verdict(org.open_case(), "start.emergency").status == "na"


def test_av_upload_deadline(db, tmp_path):
    org = Org("r1", profile="001")
    case = org.open_case()
    assert verdict(case, "av.upload_deadline").status == "na"
    ingest(org, case, make_video(tmp_path / "ok.mp4", seconds=1, creation_time=timezone.now()))
    assert verdict(case, "av.upload_deadline").status == "satisfied"
    ingest(org, case, make_video(tmp_path / "late.mp4", seconds=2,
                                 creation_time=timezone.now() - datetime.timedelta(days=2)))
    found = verdict(case, "av.upload_deadline")
    assert found.status == "violated" and "late.mp4" in found.result.message and found.cite == "001 第二十三条"


def test_av_continuous(org004, tmp_path):
    org = org004
    case = org.open_case()
    t0 = datetime.datetime(2026, 11, 20, 9, 0, tzinfo=CST)
    first, second = segments(org, case, tmp_path, "enforcement", [t0, t0 + datetime.timedelta(minutes=3)])
    found = verdict(case, "av.continuous")
    assert found.status == "violated" and "未说明中止原因" in found.result.message
    gap_explain(actor=org.officer_users[0], before=first, after=second, reason_kind="written", reason="设备故障")
    assert verdict(case, "av.continuous").status == "satisfied"


def test_av_mandatory(org004, tmp_path):
    org = org004
    case = org.open_case()
    assert verdict(case, "av.mandatory").status == "na"
    inspection = final(org, case, "site_inspection_record")
    found = verdict(case, "av.mandatory")
    assert found.status == "violated" and inspection.number in found.result.message
    assert "现场检查（勘验）" in found.result.message and found.cite == "004 第十五、二十三、二十八条"
    ingest(org, case, make_video(tmp_path / "检查.mp4", seconds=1), activity="site_inspection")
    assert verdict(case, "av.mandatory").status == "satisfied"


def test_mail_method(db):
    org = Org("rm", profile="004")  # 004 第二十四条 allows any courier
    case = org.open_case()
    assert verdict(case, "service.mail_method").status == "na"
    final(org, case, "service_mail", mail_method="其他快递")
    assert verdict(case, "service.mail_method").status == "satisfied"
    Agency.objects.filter(pk=org.agency.pk).update(profile="003")  # rebound to 003: registered mail or EMS only
    case.refresh_from_db()
    found = verdict(case, "service.mail_method")
    assert found.status == "violated" and "其他快递" in found.result.message and found.cite == "003 第二十条"


def test_decision_document_and_service_proof(org004):
    org = org004
    bare = org.open_case()
    final(org, bare, "filing_approval")
    for name in ("approve_start", "submit_review", "decide"):
        step(org, bare, name)
    assert verdict(bare, "decision.document").status == "violated"
    assert verdict(bare, "service.proof").status == "na"
    step(org, bare, "conclude")
    found = verdict(bare, "service.proof")
    assert found.status == "violated" and found.cite == "004 第二十一条"

    done = org.open_case()
    final(org, done, "filing_approval")
    step(org, done, "approve_start")
    step(org, done, "submit_review")
    final(org, done, "decision")
    step(org, done, "decide")
    final(org, done, "service_direct")
    step(org, done, "conclude")
    assert verdict(done, "decision.document").status == "satisfied"
    assert verdict(done, "service.proof").status == "satisfied"


def test_archive_deadline(org004):
    org = org004
    case = org.open_case()
    assert verdict(case, "archive.deadline").status == "na"
    for name in ("approve_start", "submit_review", "decide", "conclude"):
        step(org, case, name)
    found = verdict(case, "archive.deadline")
    assert found.status == "pending" and found.result.due == case.ended_at + datetime.timedelta(days=20)
    late = verdict(case, "archive.deadline", now=case.ended_at + datetime.timedelta(days=21))
    assert late.status == "violated" and late.cite == "004 第三十二条"
    org.final_record(case, "closing_report")
    org.archive(case)
    assert verdict(case, "archive.deadline").status == "satisfied"
    assert verdict(Org("r2", profile="002").open_case(), "archive.deadline").status == "na"


def test_findings_keep_their_history_and_follow_each_change(org004, tmp_path, django_capture_on_commit_callbacks):
    org = org004
    with django_capture_on_commit_callbacks(execute=True):
        case = org.open_case()
    assert Finding.objects.filter(case=case, rule_id="start.approval").get().status == "pending"
    with django_capture_on_commit_callbacks(execute=True):
        step(org, case, "approve_start")  # without the form: a violation appears
    with django_capture_on_commit_callbacks(execute=True):
        final(org, case, "filing_approval")  # the form comes late: cured
    history = list(Finding.objects.filter(case=case, rule_id="start.approval").values_list("status", flat=True))
    assert history == ["pending", "violated", "satisfied"]
    assert findings_refresh(case) == []  # nothing changed, nothing stored


def test_bulk_evaluation_agrees_with_one_case_at_a_time(org004, tmp_path, django_assert_max_num_queries):
    from lawtrail.cases.models import Case
    from lawtrail.rules.engine import evaluate_many

    org = org004
    t0 = datetime.datetime(2026, 11, 20, 9, 0, tzinfo=CST)
    gappy = org.open_case()
    segments(org, gappy, tmp_path, "hearing", [t0, t0 + datetime.timedelta(minutes=3)])
    mailed = org.open_case()
    final(org, mailed, "filing_approval")
    final(org, mailed, "service_mail", mail_method="挂号信")
    final(org, mailed, "site_inspection_record")
    refused(org, mailed, "inquiry_record", video_ref="DSJ_0001.mp4")
    step(org, mailed, "approve_start")
    cases = list(Case.objects.filter(agency=org.agency).select_related("agency"))
    with django_assert_max_num_queries(5):
        bulk = {case.pk: [(f.rule.id, f.status, f.result.message) for f in findings]
                for case, findings in evaluate_many(cases)}
    for case in cases:
        assert bulk[case.pk] == [(f.rule.id, f.status, f.result.message) for f in evaluate(case)]
    statuses = {rule: status for rule, status, _ in bulk[gappy.pk]}
    assert statuses["av.continuous"] == "violated"
    assert {rule: status for rule, status, _ in bulk[mailed.pk]}["signature.refusal"] == "pending"


def test_investigation_record(org004):
    org = org004
    bare = step(org, org.open_case(), "approve_start")
    assert verdict(bare, "investigation.record").status == "pending"
    step(org, bare, "submit_review")
    found = verdict(bare, "investigation.record")
    assert found.status == "violated" and found.cite == "004 第十二条"
    done = step(org, org.open_case(), "approve_start")
    inquiry = final(org, done, "inquiry_record")
    step(org, done, "submit_review")
    found = verdict(done, "investigation.record")
    assert found.status == "satisfied" and inquiry.number in found.result.message


def test_rights_notice_before_a_penalty(org004):
    org = org004
    bare = org.open_case()  # a penalty case (the factory's default matter type)
    for name in ("approve_start", "submit_review"):
        step(org, bare, name)
    assert verdict(bare, "decision.rights_notice").status == "pending"
    step(org, bare, "decide")
    found = verdict(bare, "decision.rights_notice")
    assert found.status == "violated" and found.cite == "004 第十九条"
    done = org.open_case()
    step(org, done, "approve_start")
    final(org, done, "rights_notice")
    assert verdict(done, "decision.rights_notice").status == "satisfied"
    assert verdict(org.open_case(matter_type="inspection"), "decision.rights_notice").status == "na"


def test_head_approval_record(org004):
    org = org004
    bare = org.open_case()
    for name in ("approve_start", "submit_review", "decide"):
        step(org, bare, name)
    found = verdict(bare, "decision.head_approval")
    assert found.status == "violated" and found.cite == "004 第二十条"
    done = org.open_case()
    for name in ("approve_start", "submit_review"):
        step(org, done, name)
    final(org, done, "collective_discussion")
    step(org, done, "decide")
    assert verdict(done, "decision.head_approval").status == "satisfied"


def test_simple_procedure_record(db):
    org = Org("rs", profile="000")
    bare = org.open_case(procedure=Procedure.SIMPLE)
    assert verdict(bare, "simple.record").status == "pending"
    step(org, bare, "simple_decide")
    found = verdict(bare, "simple.record")
    assert found.status == "violated" and found.cite == "000 第二十一条"
    done = org.open_case(procedure=Procedure.SIMPLE)
    final(org, done, "simple_procedure_record")
    step(org, done, "simple_decide")
    assert verdict(done, "simple.record").status == "satisfied"
    assert verdict(org.open_case(), "simple.record").status == "na"  # general procedure


def test_demand_before_enforcement(org004):
    org = org004
    case = org.open_case()
    assert verdict(case, "enforcement.demand").status == "na"
    enforcement = final(org, case, "enforcement_record")
    found = verdict(case, "enforcement.demand")
    assert found.status == "violated" and enforcement.number in found.result.message
    assert found.cite == "004 第二十八、二十九条"
    final(org, case, "demand_notice")
    assert verdict(case, "enforcement.demand").status == "satisfied"


def test_re_evaluation_runs_as_a_background_job_on_the_database_queue(transactional_db, settings):
    # A real commit and a real worker: the worker closes its database connection when it is
    # done, which only a test outside a wrapping transaction survives.
    from django.core.management import call_command
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    org = Org("bg", profile="004")
    DBTaskResult.objects.all().delete()
    case = org.open_case()
    jobs = DBTaskResult.objects.filter(task_path="lawtrail.rules.services.refresh_findings_task")
    assert jobs.filter(status="READY").count() == 1  # queued, not yet run
    assert not Finding.objects.filter(case=case).exists()
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    assert jobs.get().status == "SUCCESSFUL"
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"SUCCESSFUL"}  # and the others too
    assert Finding.objects.get(case=case, rule_id="start.approval").status == "pending"


def test_bulk_evaluation_reads_each_case_its_own_records_whether_its_ids_are_dense_or_sparse(org004):
    """A dense run of case ids is read as a range, which also brings the records of cases in
    between; a sparse one as a list. Either way a case is judged on its own records only."""
    import gc

    from lawtrail.rules.engine import evaluate_many

    org = org004
    bare, approved = org.open_case(), org.open_case()
    final(org, approved, "filing_approval")
    between = [org.open_case() for _ in range(3)]
    far = org.open_case()
    for case in (bare, approved, *between, far):
        step(org, case, "approve_start")
    dense, sparse = [bare, between[0]], [bare, far]  # ids 2 apart (range); 5 apart (list)
    for chosen in (dense, sparse):
        verdicts = {case.pk: {f.rule.id: f.status for f in found} for case, found in evaluate_many(chosen)}
        assert set(verdicts) == {c.pk for c in chosen}
        assert {verdicts[c.pk]["start.approval"] for c in chosen} == {"violated"}
    assert verdict(approved, "start.approval").status == "satisfied"  # the record in between is real
    assert gc.isenabled()  # the collector, paused while each chunk is evaluated, is back on
    gc.disable()
    try:
        list(evaluate_many([bare]))
        assert not gc.isenabled()  # and a caller that had turned it off finds it still off
    finally:
        gc.enable()


def test_refreshing_many_cases_stores_each_ones_changes_in_a_few_queries(org004, django_assert_max_num_queries):
    from lawtrail.rules.services import findings_refresh_many, refresh_findings_task

    org = org004
    cases = [org.open_case() for _ in range(4)]
    Finding.objects.filter(case__in=cases).delete()  # (the suite runs no commit hooks: start from none)
    with django_assert_max_num_queries(20):  # ten a chunk (lock, stored verdicts, facts, insert), not per case
        first = list(findings_refresh_many(cases, chunk=3))  # two chunks
    assert [case for case, _, _ in first] == cases
    for case, findings, added in first:
        assert [(a.rule_id, a.status) for a in added] == [(f.rule.id, f.status) for f in findings]
        assert all(a.pk for a in added) and Finding.objects.filter(case=case).count() == len(findings)
    assert all(added == [] for _, _, added in findings_refresh_many(cases))  # nothing changed, nothing stored
    final(org, cases[2], "filing_approval")
    again = {case.pk: added for case, _, added in findings_refresh_many(cases)}
    assert [(a.rule_id, a.status) for a in again[cases[2].pk]] == [("start.approval", "satisfied")]
    assert all(again[c.pk] == [] for c in cases if c != cases[2])
    step(org, cases[3], "approve_start")  # the background job takes several cases at once
    before = Finding.objects.count()
    changed = refresh_findings_task.call([c.pk for c in cases])
    assert changed == Finding.objects.count() - before == Finding.objects.filter(case=cases[3]).count() - \
        len(first[3][2]) and changed >= 1
    assert Finding.objects.filter(case=cases[3], rule_id="start.approval").latest("evaluated_at", "id").status \
        == "violated"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="several workers share the queue on PostgreSQL")
def test_two_workers_share_the_queue_without_double_work(transactional_db, settings, tmp_path):
    """Two real `db_worker` processes drain one queue: both take part, every job runs
    exactly once (one worker id per job), and a case refreshed by many jobs has each change
    of verdict stored once. (The case lock in `findings_refresh` guards the rarer moment when
    two workers refresh one case at the same instant; this test does not force that race.)"""
    import os
    import subprocess
    import sys

    from django_tasks_db.models import DBTaskResult

    from lawtrail.rules.services import refresh_findings_task

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    org = Org("wk", profile="004")
    cases = [org.open_case() for _ in range(2)]
    DBTaskResult.objects.all().delete()
    Finding.objects.all().delete()  # (the suite's wrapping queue left none: start from no verdicts)
    for _ in range(12):  # every case in twelve jobs, so both workers start on the same cases at once
        for case in cases:
            refresh_findings_task.enqueue([case.pk])
    db = connection.settings_dict
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "lawtrail.settings", "LAWTRAIL_HOME": str(tmp_path),
           "LAWTRAIL_TASK_BACKEND": "django_tasks_db.DatabaseBackend",
           "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"}
    connection.close()
    workers = [subprocess.Popen([sys.executable, "-m", "lawtrail.cli", "manage", "db_worker", "--batch",
                                 "--no-startup-delay"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
               for _ in range(2)]
    for worker in workers:
        out, _ = worker.communicate(timeout=300)
        assert worker.returncode == 0, out.decode()[-2000:]
    results = list(DBTaskResult.objects.values_list("status", flat=True))
    assert len(results) == 24 and set(results) == {"SUCCESSFUL"}
    runs = list(DBTaskResult.objects.values_list("worker_ids", flat=True))
    assert all(len(ids) == 1 for ids in runs)  # no job was run twice
    assert len({ids[0] for ids in runs}) == 2  # and both workers took part
    for case in cases:
        rows = list(Finding.objects.filter(case=case).order_by("rule_id", "evaluated_at", "id")
                    .values_list("rule_id", "status", "message"))
        assert rows, case.case_no
        for earlier, later in zip(rows, rows[1:]):
            assert earlier != later, f"{case.case_no}: the same verdict stored twice {later}"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="real workers share the queue on PostgreSQL")
def test_a_job_whose_worker_was_killed_half_way_is_run_again_without_doing_anything_twice(
        transactional_db, settings, tmp_path):
    """A real worker SIGKILLed while re-evaluating many cases: the job stays RUNNING, some
    cases done and the rest not. Once it counts as stalled it is queued again, a worker runs
    it to the end, and every case has each verdict stored exactly once."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from django_tasks_db.models import DBTaskResult

    from lawtrail.core.tasks import requeue_stalled
    from lawtrail.rules.services import refresh_findings_task

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    org = Org("kw", profile="004")
    cases = [org.open_case() for _ in range(120)]
    DBTaskResult.objects.all().delete()
    Finding.objects.all().delete()
    refresh_findings_task.enqueue([case.pk for case in cases])
    db = connection.settings_dict
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "lawtrail.settings", "LAWTRAIL_HOME": str(tmp_path),
           "LAWTRAIL_TASK_BACKEND": "django_tasks_db.DatabaseBackend",
           "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"}

    def worker(*args):
        return subprocess.Popen([sys.executable, "-m", "lawtrail.cli", "manage", "db_worker", "--no-startup-delay",
                                 *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                start_new_session=True)

    first = worker()
    deadline = time.monotonic() + 120
    while not Finding.objects.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    os.killpg(first.pid, signal.SIGKILL)  # half-way through the job
    first.wait()
    done = set(Finding.objects.values_list("case_id", flat=True))
    assert 0 < len(done) < len(cases), "the worker was to die with part of the job done"
    job = DBTaskResult.objects.get()
    assert job.status == "RUNNING"  # and would stay so for ever

    assert requeue_stalled() == 0  # not yet stalled: it may still be running somewhere
    assert requeue_stalled(now=timezone.now() + datetime.timedelta(minutes=31)) == 1
    connection.close()
    second = worker("--batch")
    out, _ = second.communicate(timeout=300)
    assert second.returncode == 0, out.decode()[-2000:]
    job.refresh_from_db()
    assert job.status == "SUCCESSFUL" and len(job.worker_ids) == 2  # the same job, run twice
    for case in cases:
        rows = list(Finding.objects.filter(case=case).values_list("rule_id", flat=True))
        assert rows and len(rows) == len(set(rows)), f"{case.case_no}: a verdict stored twice"


@pytest.mark.django_db
def test_an_objecting_party_means_the_footage_is_kept_long_term_under_002():
    from lawtrail.archive.services import hold_place, retention_mark
    from lawtrail.rules.engine import evaluate_many

    org = Org("rc", profile="002")
    case = org.open_case()
    assert verdict(case, "retention.circumstance").status == "na"
    hold_place(actor=org.head, case=case, kind="complaint", reason="当事人投诉现场执法")
    found = verdict(case, "retention.circumstance")
    assert found.status == "violated" and found.cite == "002 第十二条" and "投诉、信访" in found.result.message
    retention_mark(actor=org.users[Role.ARCHIVIST], case=case, circumstance="objection", reason="当事人投诉")
    assert verdict(case, "retention.circumstance").status == "satisfied"
    [(_, bulk)] = list(evaluate_many([case]))
    assert [f.status for f in bulk if f.rule.id == "retention.circumstance"] == ["satisfied"]
    other = Org("rc3", profile="003")
    assert not [f for f in evaluate(other.open_case()) if f.rule.id == "retention.circumstance"]


@pytest.mark.django_db
def test_only_jobs_running_longer_than_the_limit_are_queued_again(settings):
    from django_tasks_db.models import DBTaskResult

    from lawtrail.core.tasks import requeue_stalled
    from lawtrail.rules.services import refresh_findings_task

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    DBTaskResult.objects.all().delete()
    for _ in range(3):
        refresh_findings_task.enqueue([1])
    old, recent, waiting = DBTaskResult.objects.order_by("enqueued_at", "id")
    for job in (old, recent):
        job.claim("a-worker")
    DBTaskResult.objects.filter(pk=old.pk).update(started_at=timezone.now() - datetime.timedelta(minutes=31))
    assert requeue_stalled() == 1
    statuses = {job.pk: job.status for job in DBTaskResult.objects.all()}
    assert (statuses[old.pk], statuses[recent.pk], statuses[waiting.pk]) == ("READY", "RUNNING", "READY")


def refused(org, case, code, **refusal):
    """A final record whose party refused to sign, recorded as the officer did."""
    record = record_create(actor=org.officer_users[0], case=case, doc_type_code=code, data=complete_data(doc_type(code)))
    sign_all(org, record, skip_slot="party")
    record_refuse(actor=org.officer_users[0], record=record, slot="party", signer_name="李四",
                  reason="认为检查结论不实", **refusal)
    return record_finalise(actor=org.officer_users[0], record=record)


def test_a_refusal_to_sign_needs_its_witness_or_its_video_in_the_case(org004, tmp_path):
    """004 第十九条: a refusal is explained in the record and proved by another person present
    signing, or by video — and video that is named must be in the system."""
    org = org004
    case = org.open_case()
    assert verdict(case, "signature.refusal").status == "na"
    refused(org, case, "site_inspection_record", witness_name="王五（村委会主任）")
    found = verdict(case, "signature.refusal")
    assert found.status == "satisfied" and "1 处拒签" in found.result.message and found.cite == "004 第十九条"

    filmed = org.open_case()
    record = refused(org, filmed, "inquiry_record", video_ref="DSJ_20261120_0915.mp4")
    found = verdict(filmed, "signature.refusal")
    assert found.status == "pending" and "DSJ_20261120_0915.mp4" in found.result.message and found.result.due
    late = verdict(filmed, "signature.refusal", now=found.result.due + datetime.timedelta(minutes=1))
    assert late.status == "violated" and record.number in late.result.message and "不在本案音像记录中" in late.result.message
    ingest(org, filmed, make_video(tmp_path / "DSJ_20261120_0915.mp4", seconds=1), activity="site_inspection")
    assert verdict(filmed, "signature.refusal", now=found.result.due + datetime.timedelta(minutes=1)).status == "satisfied"


def test_a_refusal_without_witness_or_video_is_a_violation_where_the_profile_asks_for_one(db):
    org = Org("rf", profile="003")  # 003 第十三条: the refusal is recorded, no witness required
    case = org.open_case()
    refused(org, case, "site_inspection_record")
    assert verdict(case, "signature.refusal").status == "satisfied"
    Agency.objects.filter(pk=org.agency.pk).update(profile="004")  # rebound to 004: witness or video
    case.refresh_from_db()
    found = verdict(case, "signature.refusal")
    assert found.status == "violated" and "既无其他在场人员签字证明，也无录像记录" in found.result.message


def test_a_named_recording_is_found_by_file_name_number_or_hash_prefix(org004, tmp_path):
    from lawtrail.rules.engine import names_recording

    org = org004
    case = org.open_case()
    recording, _ = ingest(org, case, make_video(tmp_path / "DSJ_0001.MP4", seconds=1))
    for reference in ("DSJ_0001.MP4", "dsj_0001", f"#{recording.pk}", recording.sha256[:10], " DSJ_0001.mp4 "):
        assert names_recording(reference, recording), reference
    for reference in ("", "DSJ_0002.MP4", recording.sha256[:7], "0001"):
        assert not names_recording(reference, recording), reference


def test_an_order_to_correct_is_checked_on_time_and_recorded(db):
    """000 第二十三条: 依法应责令改正的，应当按期对改正情况进行核查并进行文字记录. The deadline
    for the check runs in working days: 30 September + 3 crosses National Day and ends on the
    make-up Saturday, 10 October 2026."""
    org = Org("rc", profile="000")
    case = org.open_case()
    final(org, case, "decision", rectify_by="")  # no order to correct
    assert verdict(case, "execution.rectification_check").status == "na"
    decision = final(org, case, "decision", rectify_by="2026-09-30")
    on_time = datetime.datetime(2026, 10, 10, 18, 0, tzinfo=CST)
    found = verdict(case, "execution.rectification_check", now=on_time)
    assert found.status == "pending" and found.result.due == datetime.datetime(2026, 10, 11, 0, 0, tzinfo=CST)
    assert decision.number in found.result.message and found.cite == "000 第二十三条"
    late = on_time + datetime.timedelta(days=1)
    final(org, case, "rectification_check", deadline="2026-09-30", checked_on="2026-09-25")  # before the deadline
    found = verdict(case, "execution.rectification_check", now=late)
    assert found.status == "violated" and "仍没有期限届满后核查的已定稿整改核查记录" in found.result.message
    final(org, case, "rectification_check", deadline="2026-09-30", checked_on="2026-10-09")
    assert verdict(case, "execution.rectification_check", now=late).status == "satisfied"


def test_profiles_that_do_not_ask_for_a_correction_check_do_not_get_the_rule(org004):
    case = org004.open_case()
    assert "execution.rectification_check" not in {f.rule.id for f in evaluate(case)}


def test_the_open_violations_across_cases_are_each_pairs_latest_verdict_most_severe_first(org004):
    """open_violations_in reads only the violated rows of the history and keeps those no
    later verdict on the same case and rule has replaced."""
    from lawtrail.cases.models import Case
    from lawtrail.rules.selectors import open_violations_in

    first, second = org004.open_case(), org004.open_case()
    Finding.objects.filter(case__in=[first, second]).delete()
    t = timezone.now() - datetime.timedelta(days=3)

    def stored(case, rule, status, severity, hours, message=""):
        return Finding.objects.create(case=case, rule_id=rule, status=status, severity=severity, cite="004 第九条",
                                      message=message or f"{rule} {status}", evaluated_at=t + datetime.timedelta(hours=hours))

    stored(first, "cured", "violated", "high", 0)
    stored(first, "cured", "satisfied", "high", 1)  # a violation cured later: not open
    stored(first, "changed", "violated", "low", 0, "旧的说明")
    newest = stored(first, "changed", "violated", "low", 2, "新的说明")  # the same violation, a newer message
    severe = stored(second, "severe", "violated", "high", 5)
    medium = stored(second, "medium", "violated", "medium", 4)
    tie = stored(second, "tie", "pending", "low", 6)
    stored(second, "tie", "violated", "low", 6)  # same time as the pending verdict, a later row: it counts
    found = open_violations_in(Case.objects.filter(pk__in=[first.pk, second.pk]))
    assert [f.rule_id for f in found] == ["severe", "medium", "changed", "tie"]
    assert found[0] == severe and found[1] == medium and found[2] == newest and found[3].pk > tie.pk
    assert found[2].message == "新的说明" and found[0].case == second  # each with its case loaded
    assert [f.rule_id for f in open_violations_in(Case.objects.filter(pk=first.pk))] == ["changed"]
    assert len(open_violations_in(Case.objects.filter(pk__in=[first.pk, second.pk]), limit=2)) == 2


def test_one_rule_evaluated_alone_gives_what_the_whole_evaluation_gives(org004, django_assert_num_queries):
    from lawtrail.cases.models import Case
    from lawtrail.rules.engine import evaluate_rule

    case = org004.open_case()
    case_transition(actor=org004.head, case=case, name="approve_start", reason="同意")
    case = Case.objects.select_related("agency").get(pk=case.pk)
    now = timezone.now()
    whole = {f.rule.id: f for f in evaluate(case, now=now)}
    for rule_id in ("archive.deadline", "start.approval"):
        if rule_id in whole:
            assert evaluate_rule(case, rule_id, now=now) == whole[rule_id]
    with django_assert_num_queries(0):  # the archive deadline reads only the case's own dates
        assert evaluate_rule(case, "archive.deadline", now=now).result == whole["archive.deadline"].result
    assert evaluate_rule(case, "no.such.rule") is None
