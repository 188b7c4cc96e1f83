"""The only writers of supervision: devices and their events, sample draws, playback
checks and corrective actions. Each write is one transaction with its ledger entry."""

import datetime
import random
import secrets

from django.db import transaction
from django.utils import timezone

from lawtrail.core.errors import Conflict, InvalidInput, NotAllowed, NotFound, required
from lawtrail.core.policy import agency_cases, require_role, visible_case_ids, visible_items
from lawtrail.ledger.services import ledger_append
from lawtrail.media.models import Recording
from lawtrail.org.enums import Role
from lawtrail.supervision.models import (
    ActionKind, CorrectiveAction, Device, DeviceEvent, DeviceEventKind, DeviceStatus, DrawTarget, PlaybackCheck,
    SampleDraw,
)

SUPERVISORS = (Role.SUPERVISOR, Role.HEAD)
DEVICE_MANAGERS = (Role.HEAD, Role.SUPERVISOR)
# The checklist of a playback check (002 第二十二条): (key, label, the articles each profile
# has for the item). A page shows the citations of its agency's own profile only.
CHECK_ITEMS = (
    ("opening", "开始记录时语音说明时间、地点、执法人员、事由和对象", ("000 第十六条",)),
    ("continuous", "全程连续记录，中断有说明", ("000 第十七条", "004 第十五、二十三、二十八条")),
    ("conduct", "队容风纪、文明规范执法", ()),
    ("documents", "相应文书齐全、与音像记录一致", ()),
)
# The checklist of a case file drawn for review.
CASE_FILE_ITEMS = (
    ("complete", "文书齐全，按时间顺序编排并有卷内目录", ("004 第三十二条",)),
    ("signed", "签名、签章、拒签记录完整", ("003 第十三条", "004 第十九条")),
    ("deadlines", "各环节期限符合规定", ()),
    ("av", "应当录音录像的环节有音像记录及文字说明", ("000 第二十七条", "004 第三十二条")),
)
RESULTS = {"pass": "合格", "fail": "不合格", "na": "不适用"}


def check_items(draw):
    return CASE_FILE_ITEMS if draw.target == DrawTarget.CASE_FILES else CHECK_ITEMS



# --- devices (执法记录仪) ------------------------------------------------------------------

@transaction.atomic
def device_register(*, actor, department, device_no, model) -> Device:
    require_role(actor, DEVICE_MANAGERS, "登记执法记录仪")
    if department.agency_id != actor.agency_id:
        raise NotFound("部门不存在")
    device_no = required(device_no, "设备编号")
    if Device.objects.filter(agency_id=actor.agency_id, device_no=device_no).exists():
        raise Conflict(f"设备编号 {device_no} 已登记")
    device = Device.objects.create(agency_id=actor.agency_id, department=department, device_no=device_no,
                                   model=required(model, "型号"))
    ledger_append(actor=actor, action="device.register", obj=device, reason=f"登记执法记录仪 {device_no}")
    return device


def _event(actor, device, kind, *, officer=None, ok=None, notes="", at=None):
    event = DeviceEvent.objects.create(device=device, kind=kind, officer=officer, ok=ok, notes=(notes or "").strip(),
                                       at=at or timezone.now(), by=actor)
    ledger_append(actor=actor, action=f"device.{kind}", obj=event,
                  reason=f"{device.device_no} {event.get_kind_display()}"
                         + (f"：{officer.name}" if officer else "") + (f"（{event.notes}）" if event.notes else ""))
    device.save()
    ledger_append(actor=actor, action="device.update", obj=device, reason=event.get_kind_display())
    return event


@transaction.atomic
def device_event(*, actor, device, kind, officer=None, ok=None, notes="", at=None) -> DeviceEvent:
    """Check-out and return, maintenance, battery and storage checks (002 第十九条), fault
    reports and repairs (002 第二十条), retirement. The device's status follows."""
    if device.agency_id != actor.agency_id:
        raise NotFound("设备不存在")
    device = Device.objects.select_for_update().get(pk=device.pk)
    if kind not in DeviceEventKind.values:
        raise InvalidInput(f"事项无效：{kind}", field="kind")
    holder_may = kind in (DeviceEventKind.BATTERY, DeviceEventKind.STORAGE, DeviceEventKind.FAULT) and \
        device.holder is not None and device.holder.user_id == actor.pk
    if actor.role not in DEVICE_MANAGERS and not holder_may:
        raise NotAllowed("设备领用、归还、维修和报废由负责人或监督人员办理；领用人可做电池、存储检查和报告故障")
    if device.status == DeviceStatus.RETIRED:
        raise Conflict(f"设备 {device.device_no} 已报废")
    if kind == DeviceEventKind.CHECKOUT:
        if device.status != DeviceStatus.IN_STOCK:
            raise Conflict(f"设备 {device.device_no} 当前{device.get_status_display()}，不能领用")
        if officer is None or officer.agency_id != actor.agency_id:
            raise InvalidInput("请选择领用的执法人员", field="officer")
        device.status, device.holder = DeviceStatus.ISSUED, officer
    elif kind == DeviceEventKind.RETURN:
        if device.status != DeviceStatus.ISSUED:
            raise Conflict(f"设备 {device.device_no} 未被领用")
        officer, device.status, device.holder = device.holder, DeviceStatus.IN_STOCK, None
    elif kind == DeviceEventKind.FAULT:
        required(notes, "故障情况")
        device.status = DeviceStatus.FAULTY
    elif kind == DeviceEventKind.REPAIR:
        if device.status != DeviceStatus.FAULTY:
            raise Conflict("设备没有待修的故障")
        device.status = DeviceStatus.ISSUED if device.holder else DeviceStatus.IN_STOCK
    elif kind == DeviceEventKind.RETIRE:
        device.status, device.holder = DeviceStatus.RETIRED, None
    elif kind in (DeviceEventKind.BATTERY, DeviceEventKind.STORAGE) and ok is None:
        raise InvalidInput("请选择检查是否合格", field="ok")
    return _event(actor, device, kind, officer=officer, ok=ok, notes=notes, at=at)


# --- sampling and playback checks -------------------------------------------------------

def population(actor, period_from, period_to, department=None, officer=None, target=DrawTarget.RECORDINGS):
    """What a draw chooses from, in a fixed order (ids): recordings received in the period,
    or the case files of cases that ended in it. Every case of the agency is in the
    population, confidential ones too (a sample that left them out would never check
    them); a drawn item the checker may not see is shown restricted until a grant."""
    if target == DrawTarget.CASE_FILES:
        cases = agency_cases(actor).filter(ended_at__date__gte=period_from, ended_at__date__lte=period_to)
        if department is not None:
            cases = cases.filter(department=department)
        if officer is not None:
            cases = cases.filter(assignments__officer=officer)
        return sorted(set(cases.values_list("pk", flat=True)))
    recordings = Recording.objects.filter(case__in=agency_cases(actor), received_at__date__gte=period_from,
                                          received_at__date__lte=period_to)
    if department is not None:
        recordings = recordings.filter(case__department=department)
    if officer is not None:
        recordings = recordings.filter(officer=officer)
    return sorted(recordings.values_list("pk", flat=True))


def check_sees_drawn(actor, case, recording=None):
    """A drawn case or recording is checked (and acted on) only by someone who may see it."""
    visible = (visible_items(actor, Recording.objects.filter(pk=recording.pk), "recording").exists() if recording
               else case.pk in visible_case_ids(actor, [case.pk]))
    if not visible:
        raise NotAllowed(f"{case.case_no} 的该项内容受限，须先申请调阅许可后再检查")


def draw_ids(ids, seed, size):
    """The same seed over the same population always draws the same recordings."""
    return sorted(random.Random(seed).sample(list(ids), min(size, len(ids))))


@transaction.atomic
def sample_draw(*, actor, period_from, period_to, size, department=None, officer=None, seed=None,
                target=DrawTarget.RECORDINGS) -> SampleDraw:
    require_role(actor, SUPERVISORS, "抽检")
    if target not in DrawTarget.values:
        raise InvalidInput(f"抽检对象无效：{target}", field="target")
    if not isinstance(period_from, datetime.date) or not isinstance(period_to, datetime.date) or \
            period_from > period_to:
        raise InvalidInput("请填写正确的抽检期间", field="period")
    if not isinstance(size, int) or not 1 <= size <= 500:
        raise InvalidInput("抽取数量须为 1 至 500", field="size")
    ids = population(actor, period_from, period_to, department, officer, target)
    if not ids:
        raise InvalidInput(f"该期间、范围内没有{DrawTarget(target).label}可供抽检")
    seed = (seed or "").strip() or secrets.token_hex(8)
    chosen = draw_ids(ids, seed, size)
    if target == DrawTarget.CASE_FILES:
        cases, chosen = chosen, []
    else:
        cases = sorted(set(Recording.objects.filter(pk__in=chosen).values_list("case_id", flat=True)))
    draw = SampleDraw.objects.create(
        agency_id=actor.agency_id, target=target, seed=seed, period_from=period_from, period_to=period_to, department=department,
        officer=officer, size=size, population=ids, recording_ids=chosen, case_ids=cases, drawn_by=actor,
        drawn_at=timezone.now())
    ledger_append(actor=actor, action="sample.draw", obj=draw,
                  reason=f"随机抽检{draw.get_target_display()}：种子 {seed}，总体 {len(ids)} 个，"
                         f"抽取 {len(chosen or cases)} 个")
    return draw


@transaction.atomic
def playback_check(*, actor, draw, results, recording=None, case=None, findings="", follow_up="") -> PlaybackCheck:
    """Check one drawn recording (played back) or one drawn case file, item by item."""
    require_role(actor, SUPERVISORS, "回放检查")
    if draw.agency_id != actor.agency_id:
        raise NotFound("抽检不存在")
    if draw.target == DrawTarget.CASE_FILES:
        if case is None or case.pk not in draw.case_ids:
            raise NotFound("该案卷不在本次抽检中")
        recording, label = None, f"案卷 {case.case_no}"
    else:
        if recording is None or recording.pk not in draw.recording_ids:
            raise NotFound("该音像记录不在本次抽检中")
        case, label = recording.case, recording.filename
    check_sees_drawn(actor, case, recording)
    items = check_items(draw)
    unknown = set(results) - {key for key, *_ in items}
    missing = [label for key, label, _ in items if results.get(key) not in RESULTS]
    if unknown or missing:
        raise InvalidInput("请逐项填写检查结果：" + "；".join(missing or sorted(unknown)), field="results")
    passed = "fail" not in results.values()
    findings = (findings or "").strip()
    if not passed and not findings:
        raise InvalidInput("检查不合格的，请写明发现的问题", field="findings")
    check = PlaybackCheck.objects.create(
        draw=draw, recording=recording, case=case, results=dict(results), passed=passed,
        findings=findings, follow_up=(follow_up or "").strip(), checked_by=actor, checked_at=timezone.now())
    ledger_append(actor=actor, action="sample.check", obj=check, scope=case.scope,
                  reason=f"抽检 {label}：{'合格' if passed else '不合格'}"
                         + (f"；{findings}" if findings else ""))
    return check


# --- corrective actions (001 第二十七条, 004 第三十六条) --------------------------------------

@transaction.atomic
def corrective_action_order(*, actor, kind, description, deadline=None, check=None, case=None,
                            officer=None) -> CorrectiveAction:
    require_role(actor, SUPERVISORS, "责令整改")
    if kind not in ActionKind.values:
        raise InvalidInput(f"措施无效：{kind}", field="kind")
    if kind == ActionKind.CORRECT and deadline is None:
        raise InvalidInput("责令限期改正须定整改期限", field="deadline")
    if check is not None:
        check_sees_drawn(actor, check.case, check.recording)
        case = check.case
        officer = officer or (check.recording.officer if check.recording else None)
    action = CorrectiveAction.objects.create(
        agency_id=actor.agency_id, playback_check=check, case=case, officer=officer, kind=kind,
        description=required(description, "整改内容"), deadline=deadline, ordered_by=actor,
        ordered_at=timezone.now())
    ledger_append(actor=actor, action="corrective.order", obj=action, scope=case.scope if case else "",
                  reason=f"{action.get_kind_display()}：{action.description}"
                         + (f"（期限 {deadline:%Y-%m-%d}）" if deadline else ""))
    return action


@transaction.atomic
def corrective_action_close(*, actor, action, closure) -> CorrectiveAction:
    require_role(actor, SUPERVISORS, "整改销号")
    if action.agency_id != actor.agency_id:
        raise NotFound("整改措施不存在")
    if action.closed_at is not None:
        raise Conflict("该整改措施已完成")
    action.closed_by, action.closed_at, action.closure = actor, timezone.now(), required(closure, "整改情况")
    action.save()
    ledger_append(actor=actor, action="corrective.close", obj=action, scope=action.case.scope if action.case else "",
                  reason=action.closure)
    return action
