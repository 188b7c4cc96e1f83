"""What a rule is, and the registry the rule families add theirs to.

A rule has a stable id, a Chinese title, a severity, the profile parameter it reads (which
gives each profile's citation, and whether the profile uses the rule at all) and an
evaluator. Evaluated against a case it says: satisfied, violated, pending (with the due
time) or not applicable, with a message naming exactly what is missing and where.
"""

import datetime
from dataclasses import dataclass

from django.utils import timezone

from lawtrail.cases.enums import Procedure, Stage

SATISFIED, VIOLATED, PENDING, NOT_APPLICABLE = "satisfied", "violated", "pending", "na"
STATUS_LABELS = {SATISFIED: "已满足", VIOLATED: "违反", PENDING: "待办", NOT_APPLICABLE: "不适用"}
SEVERITY_LABELS = {"high": "严重", "medium": "一般", "low": "轻微"}
PAST_INITIATION = (Stage.INVESTIGATION, Stage.DECISION, Stage.EXECUTION, Stage.ARCHIVING, Stage.ARCHIVED)
PAST_DECISION = (Stage.EXECUTION, Stage.ARCHIVING, Stage.ARCHIVED)


@dataclass(frozen=True)
class Result:
    status: str
    message: str
    due: datetime.datetime | None = None


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    severity: str
    param: str  # the profile block the rule reads; its `cite` is the rule's citation
    evaluate: object

    def uses(self, profile):
        try:
            block = profile.get(self.param)
        except KeyError:
            return False
        return block.get("enabled", True) is not False

    def cite(self, profile):
        return profile.cite(self.param)


RULES = []


def rule_titles():
    """Every rule's requirement in words, by rule id: the one lookup that pages, filters and
    reports name rules by."""
    return {r.id: r.title for r in RULES}


def rule_title(rule_id):
    """A rule's requirement in words (what users read), its id where no rule has it."""
    return rule_titles().get(rule_id, rule_id)


def rule(id, title, severity, param):
    def register(evaluate):
        RULES.append(Rule(id, title, severity, param, evaluate))
        return evaluate

    return register


def at(value):
    """A time as the messages show it: local, to the minute."""
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


def general(case):
    """A general-procedure case that was taken up (not closed at its start)."""
    return case.procedure != Procedure.SIMPLE and case.stage != Stage.CLOSED


def outcome(problems, waiting, done):
    """Violated by any problem; else pending on the earliest of the (due, message) waiting; else done."""
    if problems:
        return Result(VIOLATED, "；".join(problems))
    if waiting:
        return Result(PENDING, "；".join(m for _, m in waiting), min(d for d, _ in waiting))
    return Result(SATISFIED, done)
