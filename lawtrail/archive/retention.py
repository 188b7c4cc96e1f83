"""Retention: how long each record and recording is kept, and why.

Each profile's `retention` block lists periods with the article they come from: the case
file's period, and for recordings a list of rules that apply when all their conditions
hold (used as evidence, a penalty case, a circumstance recorded against it...). Every
applicable period is computed and the longest wins; a legal hold stops expiry.

Case-file periods run from the day the case was archived (until then the expiry is not
yet fixed); a recording's own minimum period runs from the day it was recorded.
"""

import datetime
from dataclasses import dataclass, field

from dateutil.relativedelta import relativedelta
from django.utils import timezone

from lawtrail.cases.enums import MatterType, Procedure, Stage
from lawtrail.regulations.profiles import get_profile

PERIOD_KEYS = ("years", "months", "permanent", "case_file", "long_term")


def _is_evidence(recording, facts):
    return recording.sha256 in facts.evidence_hashes


def _patrol(recording, facts):
    return recording.activity == "patrol" or recording.case.matter_type == MatterType.PATROL


CONDITIONS = {
    "evidence": _is_evidence,
    "penalty": lambda r, f: r.case.matter_type == MatterType.PENALTY,
    "penalty_or_coercion": lambda r, f: r.case.matter_type in (MatterType.PENALTY, MatterType.COERCION),
    "general": lambda r, f: r.case.procedure == Procedure.GENERAL,
    "patrol": _patrol,
}


@dataclass
class CaseFacts:
    """What the retention rules need to know about a case, read once for all its items."""

    evidence_hashes: frozenset = frozenset()
    case_marks: frozenset = frozenset()
    recording_marks: dict = field(default_factory=dict)  # recording id -> set of circumstances
    holds: list = field(default_factory=list)  # active LegalHold rows


@dataclass(frozen=True)
class Period:
    label: str
    cite: str
    permanent: bool = False
    years: int = 0
    months: int = 0
    anchor: str = "archived"  # archived | recorded

    @property
    def text(self):
        if self.permanent:
            return "永久"
        if self.years:
            return f"{self.years} 年"
        return f"{self.months} 个月"


@dataclass
class Retention:
    period: Period  # the one that wins
    candidates: list
    expires_on: datetime.date | None  # None: permanent, or not fixed yet (see `pending`)
    pending: bool  # the anchor date is not known yet (the case is not archived)
    holds: list
    # The earliest day it could expire, whatever happens later (a pending period counted
    # from today): what an object store's retention lock may safely be set to. None: permanent.
    earliest_expiry: datetime.date | None = None

    @property
    def permanent(self):
        return self.period.permanent

    @property
    def held(self):
        return bool(self.holds)

    def expired(self, today=None):
        """Past its expiry date and not held: only then may it be disposed of."""
        today = today or timezone.localdate()
        return not self.held and not self.permanent and not self.pending and self.expires_on is not None and self.expires_on < today

    @property
    def summary(self):
        if self.permanent:
            text = "永久保存"
        elif self.pending:
            text = f"{self.period.text}（自归档之日起算，案件尚未归档）"
        else:
            text = f"{self.period.text}，至 {self.expires_on:%Y年%m月%d日}"
        if self.held:
            text += "；" + "、".join(h.get_kind_display() for h in self.holds) + "期间暂停到期"
        return text

    def as_dict(self):
        return {
            "class": self.period.text,
            "permanent": self.permanent,
            "expires_on": self.expires_on.isoformat() if self.expires_on else None,
            "pending": self.pending,
            "basis": f"{self.period.label} → {self.period.text}，{self.period.cite}",
            "candidates": [f"{p.label} → {p.text}，{p.cite}" for p in self.candidates],
            "held": self.held,
            "holds": [h.get_kind_display() for h in self.holds],
            "summary": self.summary,
        }


def _add(date, years=0, months=0):
    return date + relativedelta(years=years, months=months)


def case_file_period(profile):
    block = profile.get("retention.case_file")
    return Period(label="行政执法案卷", cite=profile.cite("retention.case_file"), years=block["years"])


def _period(profile, rule):
    label, cite = rule["label"], rule["cite"]
    if rule.get("permanent"):
        return Period(label=label, cite=cite, permanent=True)
    if rule.get("case_file"):
        base = case_file_period(profile)
        return Period(label=label, cite=cite, years=base.years)
    if rule.get("long_term"):
        return Period(label=label, cite=cite, years=profile.get("retention.long_term_years"))
    return Period(label=label, cite=cite, years=rule.get("years", 0), months=rule.get("months", 0),
                  anchor="recorded")


def _applies(rule, recording, facts):
    for condition in rule["when"]:
        if condition.startswith("mark:"):
            name = condition[5:]
            if name not in facts.case_marks and name not in facts.recording_marks.get(recording.pk, ()):
                return False
        elif not CONDITIONS[condition](recording, facts):
            return False
    return True


def _anchor_date(period, case, recorded_at):
    if period.permanent:
        return None
    if period.anchor == "recorded":
        return timezone.localdate(recorded_at)
    return timezone.localdate(case.archived_at) if case.archived_at else None


def _decide(candidates, case, recorded_at, holds):
    """The longest of the candidate periods wins."""
    best, best_key = None, None
    for period in candidates:
        anchor = _anchor_date(period, case, recorded_at)
        if period.permanent:
            key = (3, datetime.date.max)
        elif anchor is None:
            # Runs from archiving, not yet known: longer than any fixed date; among these the longest.
            key = (2, _add(datetime.date(2000, 1, 1), period.years, period.months))
        else:
            key = (1, _add(anchor, period.years, period.months))
        if best_key is None or key > best_key:
            best, best_key = period, key
    pending = best_key[0] == 2
    expires = best_key[1] if best_key[0] == 1 else None
    earliest = None
    if not best.permanent:
        today = timezone.localdate()
        earliest = max(_add(_anchor_date(p, case, recorded_at) or today, p.years, p.months) for p in candidates)
    return Retention(period=best, candidates=candidates, expires_on=expires, pending=pending, holds=holds,
                     earliest_expiry=earliest)


def case_facts(case):
    from lawtrail.archive.models import LegalHold, RetentionMark
    from lawtrail.records.models import RecordStatus

    notes = case.records.filter(doc_type="av_evidence_note", status=RecordStatus.FINAL).values_list("data", flat=True)
    recording_marks = {}
    case_marks = set()
    for mark in RetentionMark.objects.filter(case=case):
        if mark.recording_id is None:
            case_marks.add(mark.circumstance)
        else:
            recording_marks.setdefault(mark.recording_id, set()).add(mark.circumstance)
    return CaseFacts(
        evidence_hashes=frozenset((d or {}).get("sha256", "").strip().lower() for d in notes),
        case_marks=frozenset(case_marks),
        recording_marks=recording_marks,
        holds=list(LegalHold.objects.filter(case=case, released_at__isnull=True)),
    )


def recording_retention(recording, facts=None) -> Retention:
    case = recording.case
    facts = facts or case_facts(case)
    profile = get_profile(case.agency.profile)
    candidates = [_period(profile, rule) for rule in profile.get("retention.av") if _applies(rule, recording, facts)]
    if not candidates:
        candidates = [case_file_period(profile)]
    recorded_at = recording.started_at or recording.received_at
    return _decide(candidates, case, recorded_at, facts.holds)


def case_file_retention(case, facts=None) -> Retention:
    """The case file's period: text records, their attachments, the volume itself."""
    facts = facts or case_facts(case)
    profile = get_profile(case.agency.profile)
    return _decide([case_file_period(profile)], case, case.created_at, facts.holds)


def record_retention(record, facts=None) -> Retention:
    """Text records (and their attachments) are kept with the case file."""
    return case_file_retention(record.case, facts)


# Items of a case in an open stage are never disposed of, whatever their dates say.
DISPOSABLE_STAGES = (Stage.ARCHIVED, Stage.CLOSED)


def disposable(case):
    return case.stage in DISPOSABLE_STAGES


def validate_block(profile_id, block):
    """Checks the retention block's rules (called from the profile tests)."""
    for rule in block.get("av", []):
        present = [k for k in PERIOD_KEYS if rule.get(k)]
        if len(present) != 1:
            raise ValueError(f"{profile_id}: retention rule {rule} must set exactly one of {PERIOD_KEYS}")
        for condition in rule["when"]:
            if not (condition in CONDITIONS or condition.startswith("mark:")):
                raise ValueError(f"{profile_id}: unknown retention condition {condition}")
        if not str(rule.get("cite", "")).startswith(profile_id):
            raise ValueError(f"{profile_id}: retention rule {rule['label']} cites {rule.get('cite')}")
