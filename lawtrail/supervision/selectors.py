"""Reads for supervision: who held a device when a recording was made, and the check ledger."""

from django.utils import timezone

from lawtrail.supervision.models import Device, DeviceEventKind, PlaybackCheck
from lawtrail.supervision.services import CASE_FILE_ITEMS, CHECK_ITEMS, RESULTS


def device_holder_at(agency_id, device_no, when):
    """The officer who had the device checked out at that moment, or None."""
    device = Device.objects.filter(agency_id=agency_id, device_no=device_no).first()
    if device is None or when is None:
        return None
    last = (device.events.filter(kind__in=[DeviceEventKind.CHECKOUT, DeviceEventKind.RETURN], at__lte=when)
            .select_related("officer").order_by("-at", "-id").first())
    return last.officer if last is not None and last.kind == DeviceEventKind.CHECKOUT else None


def check_ledger(agency_id, period_from=None, period_to=None):
    """The 检查台帐: every playback check of the agency, oldest first."""
    checks = (PlaybackCheck.objects.filter(draw__agency_id=agency_id)
              .select_related("draw", "recording__officer", "case", "checked_by").order_by("checked_at", "id"))
    if period_from:
        checks = checks.filter(checked_at__date__gte=period_from)
    if period_to:
        checks = checks.filter(checked_at__date__lte=period_to)
    return checks


LEDGER_COLUMNS = ["序号", "检查时间", "抽检批次（种子）", "案号", "检查对象", "执法人员", "检查项目及结果",
                  "结论", "发现的问题", "整改要求", "检查人"]


def ledger_rows(checks):
    for n, check in enumerate(checks, 1):
        items = CHECK_ITEMS if check.recording_id else CASE_FILE_ITEMS
        results = "；".join(f"{label}：{RESULTS[check.results.get(key, 'na')]}" for key, label, _ in items)
        officer = check.recording.officer.name if check.recording_id else "、".join(
            a.officer.name for a in check.case.team())
        yield [n, timezone.localtime(check.checked_at).strftime("%Y-%m-%d %H:%M"),
               f"第 {check.draw_id} 批（{check.draw.seed}）", check.case.case_no,
               check.recording.filename if check.recording_id else "案卷", officer, results,
               "合格" if check.passed else "不合格", check.findings, check.follow_up, check.checked_by.display_name]
