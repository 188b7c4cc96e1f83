from lawtrail.rules.models import Finding


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


def open_violations_in(cases, limit=50):
    """The current violations across these cases (the stored verdicts), most severe first."""
    latest = {}
    for finding in Finding.objects.filter(case__in=cases).select_related("case").order_by("evaluated_at", "id"):
        latest[(finding.case_id, finding.rule_id)] = finding
    found = [f for f in latest.values() if f.status == "violated"]
    found.sort(key=lambda f: (SEVERITY_ORDER.get(f.severity, 9), f.evaluated_at))
    return found[:limit]
