from collections import defaultdict

from django.db.models import Case, Exists, OuterRef, Q, Subquery, Value, When

from lawtrail.rules.models import Finding


def latest_findings_of(case_ids):
    """case id → rule id → (status, message) of the rule's current stored verdict on the case."""
    latest = defaultdict(dict)
    for case_id, rule_id, status, message in Finding.objects.filter(case_id__in=case_ids).order_by(
            "evaluated_at", "id").values_list("case_id", "rule_id", "status", "message"):
        latest[case_id][rule_id] = (status, message)
    return latest


def latest_findings(case):
    """rule id → the rule's current stored verdict on the case."""
    latest = {}
    for finding in Finding.objects.filter(case=case).order_by("evaluated_at", "id"):
        latest[finding.rule_id] = finding
    return latest


def open_violations(case):
    return [f for f in latest_findings(case).values() if f.status == "violated"]


def finding_history(case, rule_id=None):
    findings = Finding.objects.filter(case=case)
    return findings.filter(rule_id=rule_id) if rule_id else findings


SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}


def _same_pair(order):
    """For a subquery: the other rows of the outer finding's case and rule that come after it
    (`order` "gt") or before it ("lt") in the history's order, time then id."""
    return Finding.objects.filter(case=OuterRef("case"), rule_id=OuterRef("rule_id")).filter(
        Q(**{f"evaluated_at__{order}": OuterRef("evaluated_at")})
        | Q(evaluated_at=OuterRef("evaluated_at"), **{f"id__{order}": OuterRef("id")}))


def current(findings):
    """Those of these stored findings that are still the latest verdict of their case and
    rule: no later row for the same pair (the (case, rule, time) index answers each)."""
    return findings.exclude(Exists(_same_pair("gt")))


def with_status_before(findings):
    """The findings, each with `status_before`: the verdict its case and rule had just
    before it (None for the first), looked up row by row, so ask it of few rows."""
    earlier = _same_pair("lt").order_by("-evaluated_at", "-id").values("status")[:1]
    return findings.annotate(status_before=Subquery(earlier))


def current_violations(findings):
    """Those of these stored findings that are a current violation, most severe first:
    only the violations in the history are looked at, not every verdict ever stored."""
    rank = Case(*(When(severity=severity, then=Value(i)) for severity, i in SEVERITY_ORDER.items()), default=Value(9))
    return current(findings.filter(status="violated")).annotate(rank=rank).order_by("rank", "evaluated_at", "id")


def open_violations_in(cases, limit=50):
    """The current violations across these cases (the stored verdicts), most severe first."""
    return list(current_violations(Finding.objects.filter(case__in=cases)).select_related("case")[:limit])


def due_soon(cases, until):
    """The current pending findings of these cases whose deadline falls before `until`
    (uploads, archiving, an emergency approval, 整改 checks), earliest first."""
    return list(current(Finding.objects.filter(case__in=cases, status="pending", due__isnull=False, due__lte=until))
                .select_related("case").order_by("due", "id"))
