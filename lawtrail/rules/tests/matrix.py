"""What the rule tests share: case histories made through the real services, and the matrix
of every rule × every profile that uses it, each pair with a passing and a failing case."""

import datetime
from dataclasses import dataclass
from typing import Callable

import pytest

from lawtrail.cases.services import _transition
from lawtrail.records.catalog import doc_type
from lawtrail.records.services import record_create, record_finalise, record_refuse
from lawtrail.regulations.profiles import get_profile, profiles
from lawtrail.rules.base import SATISFIED, VIOLATED
from lawtrail.rules.engine import RULES, evaluate
from lawtrail.testing import Org, complete_data, sign_all, step_actor

OUTCOMES = ("passing", "failing")


def final(org, case, code, **data):
    record = record_create(actor=org.officer_users[0], case=case, doc_type_code=code,
                           data={**complete_data(doc_type(code)), **data})
    sign_all(org, record)
    return record_finalise(actor=org.officer_users[0], record=record)


def refused(org, case, code, **refusal):
    """A final record whose party refused to sign, recorded as the officer did."""
    record = record_create(actor=org.officer_users[0], case=case, doc_type_code=code, data=complete_data(doc_type(code)))
    sign_all(org, record, skip_slot="party")
    record_refuse(actor=org.officer_users[0], record=record, slot="party", signer_name="李四",
                  reason="认为检查结论不实", **refusal)
    return record_finalise(actor=org.officer_users[0], record=record)


def step(org, case, name, who=None):
    """A step as the right person takes it, the regulation's gates left out (`Org.step`): the
    failing histories are the ones the gates now refuse, as data from an older system has them."""
    _transition(actor=who or step_actor(org, name), case=case, name=name, reason="依法办理", data=None, gated=False)
    case.refresh_from_db()
    return case


def verdict(case, rule_id, now=None):
    [found] = [f for f in evaluate(case, now) if f.rule.id == rule_id]
    return found


def later(finding, **delta):
    """A moment past the due time of a pending finding (the deadline gone by)."""
    return finding.result.due + datetime.timedelta(**delta)


@dataclass(frozen=True)
class Cases:
    """A rule's two case histories, each made on a new case of an agency under a profile:
    `passing(org, profile, tmp_path)` and `failing(...)` return the rule's finding.
    `expect(profile)` gives the statuses they come to: (satisfied, violated), unless the
    profile's own parameters leave nothing that could fail (say so where it is set)."""
    passing: Callable
    failing: Callable
    expect: Callable = lambda profile: (SATISFIED, VIOLATED)


def matrix(cases):
    """pytest params (rule id, profile id, outcome) for each rule in `cases`, each profile
    that uses it, passing and failing."""
    return [pytest.param(r.id, p.id, outcome, id=f"{r.id}-{p.id}-{outcome}")
            for r in RULES if r.id in cases for p in profiles().values() if r.uses(p) for outcome in OUTCOMES]


def check(cases, rule_id, profile_id, outcome, tmp_path):
    """Run one case of the matrix: the finding has the expected status and cites the
    profile's own article (or its own note where the regulation says nothing)."""
    rule, profile = next(r for r in RULES if r.id == rule_id), get_profile(profile_id)
    org = Org("m", profile=profile_id)
    found = getattr(cases[rule_id], outcome)(org, profile, tmp_path)
    expected = cases[rule_id].expect(profile)[OUTCOMES.index(outcome)]
    assert found.status == expected, found.result.message
    assert found.cite == rule.cite(profile) == profile.cite(rule.param) and found.cite.startswith(f"{profile.id} ")


def matrix_test(cases):
    """A family's test: each rule in `cases` under each profile that uses it, passing and
    failing. Its params are kept on it (`.params`) for the test that every pair is there."""
    params = matrix(cases)

    @pytest.mark.parametrize("rule_id, profile_id, outcome", params)
    def test(db, tmp_path, rule_id, profile_id, outcome):
        check(cases, rule_id, profile_id, outcome, tmp_path)

    test.params = params
    return test

