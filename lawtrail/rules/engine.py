"""The evaluation of the rule catalog: every rule a case's profile uses, with the profile's
citation, against the facts read once (`evaluate`) or for many cases in batches
(`evaluate_many`). The rules themselves live in `families/`, one module per family."""

import gc
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache

from django.utils import timezone

from lawtrail.regulations.profiles import get_profile, profiles
from lawtrail.rules import families  # noqa: F401 (loading it registers every rule in RULES)
from lawtrail.rules.base import PENDING, RULES, SEVERITY_LABELS, STATUS_LABELS, VIOLATED, Result, Rule
from lawtrail.rules.facts import Facts, facts_of

# What other parts import from here (RULES and the labels re-exported from `base`).
__all__ = ["RULES", "SEVERITY_LABELS", "STATUS_LABELS", "Finding", "catalog", "evaluate", "evaluate_many",
           "evaluate_rule", "rules_for", "rules_unmet", "severe_violations"]

# Only this rule reads legal holds and retention marks: a batch reads them only for its profiles.
RETENTION_RULE = next(r for r in RULES if r.id == "retention.circumstance")


@dataclass(frozen=True)
class Finding:
    rule: Rule
    cite: str
    result: Result

    @property
    def status(self):
        return self.result.status


def rules_for(profile):
    return [r for r in RULES if r.uses(profile)]


def evaluate(case, now=None, **known):
    """Every rule the case's profile uses, evaluated now (`known`: facts already loaded,
    e.g. all the case's recordings and gap explanations, as `Facts` takes them)."""
    return _findings(Facts(case, now, **known))


def evaluate_rule(case, rule_id, now=None):
    """One rule's finding on the case, None when its profile does not use the rule. The
    facts are read as the rule asks for them: a rule on the case's own dates reads nothing."""
    facts = Facts(case, now)
    return next((Finding(r, cite, r.evaluate(facts)) for r, cite in _rules_cited(facts.profile.id) if r.id == rule_id),
                None)


def rules_unmet(case, rule_ids, now=None, findings=None):
    """For a workflow step's gate: "message（article）" for each of these rules (that the case's
    profile uses) which the case does not meet yet, pending or violated. `findings`: the
    case's findings already evaluated (the case page has them), not evaluated again."""
    if findings is None:
        facts = Facts(case, now)
        findings = (Finding(r, cite, r.evaluate(facts)) for r, cite in _rules_cited(facts.profile.id)
                    if r.id in rule_ids)
    return [f"{finding.result.message}（{finding.cite}）" for finding in findings
            if finding.rule.id in rule_ids and finding.status in (PENDING, VIOLATED)]


def severe_violations(case, now=None):
    """"message（article）" for each high-severity rule the case violates now."""
    return [f"{f.result.message}（{f.cite}）" for f in evaluate(case, now)
            if f.status == VIOLATED and f.rule.severity == "high"]


@cache
def _rules_cited(profile_id):
    profile = get_profile(profile_id)
    return [(r, r.cite(profile)) for r in rules_for(profile)]


def _findings(facts):
    return [Finding(r, cite, r.evaluate(facts)) for r, cite in _rules_cited(facts.profile.id)]


@contextmanager
def _collector_paused():
    """Python's cycle collector off for a while: a chunk of cases allocates hundreds of
    thousands of short-lived objects (rows, facts, findings), none of them in cycles, and each
    allocation burst would otherwise set off full collections over the whole heap (a quarter
    of the bulk evaluation's time). Whoever found the collector on turns it back on."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def evaluate_many(cases, now=None, chunk=2000):
    """(case, findings) for many cases, with a few queries per chunk instead of per case.
    The cases' agencies are read once each, not with every case."""
    now = now or timezone.now()
    cases = iter(cases)
    agencies = {}
    while True:
        with _collector_paused():
            batch = [c for _, c in zip(range(chunk), cases)]
            evaluated = [(case, _findings(facts))
                         for case, facts in facts_of(batch, now, agencies, reads_holds=RETENTION_RULE.uses)]
        if not batch:
            return
        yield from evaluated


def catalog():
    """Each rule with the profiles that use it and their citations."""
    return [(r, [(p, r.cite(p)) for p in profiles().values() if r.uses(p)]) for r in RULES]
