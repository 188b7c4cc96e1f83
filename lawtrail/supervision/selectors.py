"""Reads for supervision: who held a device when a recording was made, and the check ledger."""

from django.utils import timezone

from lawtrail.cases.models import Case
from lawtrail.core.lookups import named
from lawtrail.core.policy import RESTRICTED_ENTRY, visible_case_ids, visible_items
from lawtrail.core.prepared import Prepared
from lawtrail.core.text import number_or_none
from lawtrail.media.models import Recording
from lawtrail.supervision.models import CorrectiveAction, Device, DeviceEventKind, PlaybackCheck, SampleDraw
from lawtrail.supervision.services import CASE_FILE_ITEMS, CHECK_ITEMS, RESULTS


# --- the user's agency's objects: every page looks them up here ------------------------------

def draws_of(user):
    return SampleDraw.objects.filter(agency_id=user.agency_id)


def devices_of(user):
    return Device.objects.filter(agency_id=user.agency_id)


def actions_of(user):
    return CorrectiveAction.objects.filter(agency_id=user.agency_id)


def checks_of(user):
    return PlaybackCheck.objects.filter(draw__agency_id=user.agency_id)


# An agency's devices' numbers and holders (on every case page: compiled once).
_DEVICES = Prepared(lambda agency_id: Device.objects.filter(agency_id=agency_id).order_by("device_no").values_list(
    "device_no", "holder__user_id"), int)


def device_numbers(user):
    """The agency's body cameras' numbers (the upload form's list) and the first of those this
    user has checked out now (its 设备编号 filled in), or None: one query for both."""
    if not user.agency_id:
        return [], None
    devices = _DEVICES.rows(user.agency_id)
    return [number for number, _ in devices], next((number for number, holder in devices if holder == user.pk), None)


def draw_for(user, pk):
    return named(draws_of(user), pk, "抽检不存在")


def device_for(user, pk):
    return named(devices_of(user), pk, "设备不存在")


def action_for(user, pk):
    return named(actions_of(user), pk, "整改措施不存在")


def check_for(user, pk):
    """A playback check of the user's agency, or None when the form names none."""
    return checks_of(user).filter(pk=number_or_none(pk)).first() if pk else None


def drawn_rows(user, draw):
    """(recording or None, case, its check, restricted) for each item of a draw: an item the
    user may not see is restricted (shown by its 案号 only)."""
    if draw.recording_ids:
        checks = {c.recording_id: c for c in draw.checks.all()}
        drawn = Recording.objects.filter(pk__in=draw.recording_ids).select_related("case", "officer")
        seen = set(visible_items(user, drawn, "recording").values_list("pk", flat=True))
        return [(r, r.case, checks.get(r.pk), r.pk not in seen) for r in drawn]
    checks = {c.case_id: c for c in draw.checks.all()}
    seen = visible_case_ids(user, draw.case_ids)
    return [(None, c, checks.get(c.pk), c.pk not in seen) for c in Case.objects.filter(pk__in=draw.case_ids)]


def drawn_item(user, draw, recording_id, case_id):
    """The recording or case file of the draw that a check form names (None for what it
    does not name): the service checks that it was drawn and may be seen."""
    recording = Recording.objects.filter(pk=number_or_none(recording_id), pk__in=draw.recording_ids or []) \
        .select_related("case").first() if recording_id else None
    case = Case.objects.filter(pk=number_or_none(case_id), agency_id=user.agency_id).first() if case_id else None
    return recording, case


def device_of(recording):
    """The registered device a recording names, or None."""
    if not recording.device_no:
        return None
    return Device.objects.filter(agency_id=recording.case.agency_id, device_no=recording.device_no).first()


def device_recordings(user, device, limit=100):
    """The recordings made with a device that the user may see, newest first, each with the
    officer who held the device then."""
    recordings = (visible_items(user, Recording.objects.filter(device_no=device.device_no), "recording")
                  .select_related("case", "officer").order_by("-started_at")[:limit])
    return [(r, device_holder_at(device.agency_id, device.device_no, r.started_at or r.received_at))
            for r in recordings]


def device_holder_at(agency_id, device_no, when):
    """The officer who had the device checked out at that moment, or None."""
    device = Device.objects.filter(agency_id=agency_id, device_no=device_no).first()
    if device is None or when is None:
        return None
    last = (device.events.filter(kind__in=[DeviceEventKind.CHECKOUT, DeviceEventKind.RETURN], at__lte=when)
            .select_related("officer").order_by("-at", "-id").first())
    return last.officer if last is not None and last.kind == DeviceEventKind.CHECKOUT else None


def check_ledger(agency_id, period_from=None, period_to=None, viewer=None):
    """The 检查台帐: every playback check of the agency, oldest first; for a `viewer`, each
    marked `restricted` when it is about a case or recording he may not see."""
    checks = (PlaybackCheck.objects.filter(draw__agency_id=agency_id)
              .select_related("draw", "recording__officer", "case", "checked_by").order_by("checked_at", "id"))
    if period_from:
        checks = checks.filter(checked_at__date__gte=period_from)
    if period_to:
        checks = checks.filter(checked_at__date__lte=period_to)
    return checks if viewer is None else restricted_checks(viewer, checks)


def restricted_checks(user, checks):
    """The checks, each with `restricted`: whether its recording (or, for a case-file check,
    its case) is hidden from this user."""
    checks = list(checks)
    recordings = {c.recording_id for c in checks if c.recording_id}
    seen_recordings = set(visible_items(user, Recording.objects.filter(pk__in=recordings), "recording")
                          .values_list("pk", flat=True))
    seen_cases = visible_case_ids(user, {c.case_id for c in checks})
    for check in checks:
        check.restricted = (check.recording_id not in seen_recordings if check.recording_id
                            else check.case_id not in seen_cases)
    return checks


LEDGER_COLUMNS = ["序号", "检查时间", "抽检批次（种子）", "案号", "检查对象", "执法人员", "检查项目及结果",
                  "结论", "发现的问题", "整改要求", "检查人"]


def restricted_actions(user, actions):
    """Corrective actions, each with `restricted`: whether it follows a check, or names a case,
    that this user may not see (its text may name what was checked)."""
    actions = list(actions)
    checks = {c.pk: c for c in restricted_checks(user, [a.playback_check for a in actions if a.playback_check_id])}
    seen_cases = visible_case_ids(user, {a.case_id for a in actions if a.case_id})
    for action in actions:
        action.restricted = (checks[action.playback_check_id].restricted if action.playback_check_id
                             else bool(action.case_id) and action.case_id not in seen_cases)
    return actions


def ledger_rows(checks):
    for n, check in enumerate(checks, 1):
        if getattr(check, "restricted", False):
            # Counted in its place; what was checked and found is not the reader's to see.
            yield [n, timezone.localtime(check.checked_at).strftime("%Y-%m-%d %H:%M"),
                   f"第 {check.draw_id} 批（{check.draw.seed}）", check.case.case_no, RESTRICTED_ENTRY,
                   "", "", "", "", "", check.checked_by.display_name]
            continue
        items = CHECK_ITEMS if check.recording_id else CASE_FILE_ITEMS
        results = "；".join(f"{label}：{RESULTS[check.results.get(key, 'na')]}" for key, label, _ in items)
        officer = check.recording.officer.name if check.recording_id else "、".join(
            a.officer.name for a in check.case.team())
        yield [n, timezone.localtime(check.checked_at).strftime("%Y-%m-%d %H:%M"),
               f"第 {check.draw_id} 批（{check.draw.seed}）", check.case.case_no,
               check.recording.filename if check.recording_id else "案卷", officer, results,
               "合格" if check.passed else "不合格", check.findings, check.follow_up, check.checked_by.display_name]
