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
