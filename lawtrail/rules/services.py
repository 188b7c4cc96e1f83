"""Compliance findings: evaluate a case's rules and keep each change of verdict.

Re-evaluation runs as a background job (`tasks.py`) after every committed change of a
case, and on a schedule for deadlines passing (`lawtrail check --record`)."""

from django.db import connection, transaction
from django.utils import timezone

from lawtrail.cases.models import Case
from lawtrail.ledger.selectors import scope_heads
from lawtrail.rules.engine import evaluate_many
from lawtrail.rules.models import Finding
from lawtrail.rules.selectors import latest_findings_of


def findings_refresh(case, now=None):
    """Evaluate the case and store the verdicts that changed. Returns the new Finding rows."""
    [(_, _, added)] = findings_refresh_many([case], now)
    return added


def _fresh(ids):
    return list(Case.objects.filter(pk__in=ids).order_by("pk"))


def findings_refresh_many(cases, now=None, chunk=500):
    """Evaluate these cases, a chunk at a time, and store the verdicts that changed.
    Yields (case, findings, the new Finding rows) for each case.

    Each chunk is one transaction that first locks its cases' rows (in id order): two workers
    refreshing the same case one after the other then see each other's rows, and never store
    the same change twice. The chunk's stored verdicts are read in one query, its cases
    evaluated with `evaluate_many`'s batched reads and the changes inserted together.

    On SQLite a transaction holds the whole database's write lock, so there the chunk is
    evaluated before its transaction (an upload's chunk waited 0.1-0.3 s behind a job's
    evaluation): inside, the verdicts are stored only if no entry of its cases was
    appended meanwhile (a change of a case is a ledger-backed write, chained as it commits
    on SQLite), else the chunk is evaluated again under the lock."""
    now = now or timezone.now()
    cases = iter(cases)
    early = connection.vendor == "sqlite"
    while batch := [c for _, c in zip(range(chunk), cases)]:
        ids = sorted(c.pk for c in batch)
        scopes = [c.scope for c in batch]
        if early:  # the cases read again after the heads: what changed before them is in
            heads = scope_heads(scopes)
            evaluated = list(evaluate_many(_fresh(ids), now, chunk))
        with transaction.atomic():
            list(Case.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk", flat=True))
            if not early:
                evaluated = list(evaluate_many(batch, now, chunk))
            elif scope_heads(scopes) != heads:
                evaluated = list(evaluate_many(_fresh(ids), now, chunk))
            latest = latest_findings_of(ids)
            done, added = [], []
            for case, findings in evaluated:
                stored = latest.get(case.pk, {})
                new = [Finding(case=case, rule_id=f.rule.id, status=f.status, severity=f.rule.severity,
                               cite=f.cite, message=f.result.message, due=f.result.due, evaluated_at=now)
                       for f in findings if stored.get(f.rule.id) != (f.status, f.result.message)]
                done.append((case, findings, new))
                added += new
            Finding.objects.bulk_create(added)
        yield from done

