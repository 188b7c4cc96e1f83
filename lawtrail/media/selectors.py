"""Reading audio/video records: the case's recordings, their coverage of each activity on a
time line, and the gaps that the profile says must not be there unexplained."""

import datetime
from dataclasses import dataclass, field

from lawtrail.core.errors import NotFound
from lawtrail.core.policy import hidden_items
from lawtrail.core.text import duration_zh
from lawtrail.media.models import Activity, GapExplanation, Recording
from lawtrail.regulations.profiles import get_profile

# Body cameras split long recordings into files; a pause shorter than this is the split.
GAP_TOLERANCE = datetime.timedelta(seconds=2)


def case_recordings(case):
    """The case's recordings, less those marked more confidential than the viewer may see."""
    _, hidden = hidden_items(case)
    return case.recordings.exclude(pk__in=hidden).select_related("officer", "uploaded_by")


def recording_for(case, recording_id):
    recording = case_recordings(case).filter(pk=recording_id).first()
    if recording is None:
        raise NotFound("音像记录不存在或您无权查看")
    return recording


# The system's own name for where recordings are kept: what a case file and a 文字说明
# record as 存储位置 (with the SHA-256), never the store's internal address.
STORAGE_ROOT = "执法信息系统 / 音像库"


def storage_location(recording):
    """“执法信息系统 / 音像库 / 2026 / 衡林罚〔2026〕9号 / 编号 23”."""
    case = recording.case
    return f"{STORAGE_ROOT} / {case.year} / {case.case_no} / 编号 {recording.pk}"


def must_be_continuous(profile, activity):
    """(required?, citation) of uninterrupted recording of an activity under a profile."""
    rule = profile.get("av.continuous")
    listed = rule["activities"]
    required = listed == "all" or activity in listed
    return required, profile.cite("av.continuous") if required else ""


@dataclass
class Gap:
    before: Recording
    after: Recording
    explanation: GapExplanation | None
    required: bool
    cite: str

    @property
    def length(self):
        return self.after.started_at - self.before.ended_at

    @property
    def violation(self):
        return self.required and self.explanation is None

    def message(self):
        text = (f"{Activity(self.before.activity).label}录像在 {self.before.filename} 与 {self.after.filename} 之间"
                f"中断 {duration_zh(self.length)}")
        if self.explanation:
            return f"{text}，已说明：{self.explanation.reason}"
        if self.required:
            return f"{text}，未说明中止原因（{self.cite} 要求不间断记录）"
        return text


@dataclass
class Coverage:
    activity: str
    segments: list = field(default_factory=list)
    gaps: list = field(default_factory=list)
    untimed: list = field(default_factory=list)
    required: bool = False
    cite: str = ""

    @property
    def label(self):
        return Activity(self.activity).label

    @property
    def start(self):
        return self.segments[0].started_at if self.segments else None

    @property
    def end(self):
        return max(r.ended_at for r in self.segments) if self.segments else None

    def layout(self):
        """Each segment's position on a 0-100 scale, for drawing the time line."""
        if not self.segments:
            return []
        span = max((self.end - self.start).total_seconds(), 1)
        return [(r, 100 * (r.started_at - self.start).total_seconds() / span,
                 max(100 * (r.ended_at - r.started_at).total_seconds() / span, 0.5)) for r in self.segments]


def gap_explanations(case):
    return GapExplanation.objects.filter(case=case)


def case_coverage(case):
    """Per activity: the timed audio/video segments in order, the gaps between them with
    their explanations, and whether the profile wants the activity recorded without a break."""
    return coverage_of(get_profile(case.agency.profile), case_recordings(case), gap_explanations(case))


def coverage_of(profile, recordings, explanations):
    """`case_coverage` on recordings and explanations already at hand (for bulk evaluation)."""
    explained = {(g.before_id, g.after_id): g for g in explanations}
    timeline = sorted((r for r in recordings if r.kind in ("video", "audio")),
                      key=lambda r: (r.started_at is None, r.started_at or r.received_at, r.pk))
    result = {}
    for recording in timeline:
        coverage = result.get(recording.activity)
        if coverage is None:
            required, cite = must_be_continuous(profile, recording.activity)
            coverage = result[recording.activity] = Coverage(recording.activity, required=required, cite=cite)
        if recording.started_at is None or recording.ended_at is None:
            coverage.untimed.append(recording)
            continue
        if coverage.segments:
            previous = max(coverage.segments, key=lambda r: r.ended_at)
            if recording.started_at - previous.ended_at > GAP_TOLERANCE:
                coverage.gaps.append(Gap(previous, recording, explained.get((previous.pk, recording.pk)),
                                         coverage.required, coverage.cite))
        coverage.segments.append(recording)
    return list(result.values())


def unexplained_gaps(case):
    return [gap for coverage in case_coverage(case) for gap in coverage.gaps if gap.violation]

