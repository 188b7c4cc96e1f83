"""Full compliance evaluation over many cases: N cases (LAWTRAIL_BENCH_CASES, default
100,000) with about 20 final records each on SQLite, evaluated as `lawtrail check` evaluates
every case (`evaluate_many` over all cases in id order).

Goal (issue 5): at least 5,000 cases per second on this 2-core machine. The baseline of
the same run is a plain ORM pass that only reads the same case and record rows.
Bulk inserts build the data (not the services): the benchmark measures evaluation.
"""

import datetime
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

DOCS = ["filing_approval", "inquiry_record", "site_inspection_record", "evidence_register", "rights_notice",
        "statement_record", "handling_opinion", "legal_review", "head_approval", "decision", "service_direct",
        "service_mail", "performance_record", "closing_report", "sampling_list", "hearing_notice",
        "investigation_record", "evidence_request_notice", "collective_discussion", "demand_notice"]
STAGES = ["initiation", "investigation", "decision", "execution", "archiving", "archived"]


def build(n):
    from django.db import transaction
    from django.utils import timezone

    from lawtrail.cases.models import Case
    from lawtrail.records.models import Record

    template = Case.objects.filter(stage="investigation").select_related("agency").first()
    now = timezone.now()
    start = Case.objects.count()
    fields = {f.attname: getattr(template, f.attname) for f in Case._meta.concrete_fields
              if f.attname not in ("id", "case_no", "seq", "stage", "ended_at")}
    with transaction.atomic():
        for first in range(0, n, 5000):
            batch = [Case(**fields, case_no=f"BENCH-{i:07d}", seq=100000 + i, stage=STAGES[i % len(STAGES)],
                          ended_at=now - datetime.timedelta(days=i % 40) if i % len(STAGES) >= 4 else None)
                     for i in range(first, min(first + 5000, n))]
            Case.objects.bulk_create(batch)
        ids = list(Case.objects.filter(case_no__startswith="BENCH-").values_list("id", flat=True))
        for first in range(0, len(ids), 2500):
            Record.objects.bulk_create([
                Record(case_id=case_id, doc_type=doc, title=doc, stage="investigation", status="final",
                       number=f"B{case_id}-{j}", data={"mail_method": "挂号信"} if doc == "service_mail" else {},
                       created_by_id=template.created_by_id, finalised_at=now)
                for case_id in ids[first:first + 2500] for j, doc in enumerate(DOCS)], batch_size=5000)
    return start + n


def main():
    n = int(os.environ.get("LAWTRAIL_BENCH_CASES", "100000"))
    with tempfile.TemporaryDirectory(dir=os.environ.get("LAWTRAIL_BENCH_TMP")) as tmp:
        home = Path(tmp) / "home"
        common.lawtrail(home, "demo")
        os.environ["LAWTRAIL_HOME"] = str(home)
        os.environ.pop("DATABASE_URL", None)
        os.environ["DJANGO_SETTINGS_MODULE"] = "lawtrail.settings"
        import django

        django.setup()
        from lawtrail.cases.models import Case
        from lawtrail.records.models import Record
        from lawtrail.rules.engine import evaluate_many

        t = time.perf_counter()
        total = build(n)
        print(f"built {n} cases with {len(DOCS)} records each in {time.perf_counter() - t:.0f}s")

        t = time.perf_counter()
        read = sum(1 for _ in Case.objects.order_by("id").iterator(chunk_size=2000))
        read += sum(1 for _ in Record.objects.filter(status="final").only("id", "case_id", "doc_type").iterator(
            chunk_size=20000))
        baseline = time.perf_counter() - t

        t = time.perf_counter()
        findings = 0
        for _, found in evaluate_many(Case.objects.order_by("id").iterator(chunk_size=2000)):
            findings += len(found)
        seconds = time.perf_counter() - t
    rate = total / seconds
    print(f"plain read of the same rows  {baseline:6.1f}s")
    print(f"full compliance evaluation   {seconds:6.1f}s  {rate:,.0f} cases/s ({findings:,} findings); "
          f"{seconds / baseline:.1f}× the plain read; goal ≥ 5,000 cases/s")
    common.write("compliance", {"cases": total, "records_per_case": len(DOCS), "seconds": seconds,
                                "cases_per_second": rate, "baseline_read_seconds": baseline,
                                "ratio_vs_read": seconds / baseline, "goal_cases_per_second": 5000})


if __name__ == "__main__":
    main()
