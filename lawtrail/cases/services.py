"""The only writers of cases: open, add parties and officers, move through the workflow.

Each service runs in one transaction and appends its ledger entries (DESIGN.md
invariant 2); a refused step raises a typed error and changes nothing.
"""

from django.db import transaction
from django.utils import timezone
from stdnum import numdb
from stdnum.cn import ric, uscc
from stdnum.exceptions import InvalidComponent, ValidationError as StdnumError

from lawtrail.cases import workflow
from lawtrail.cases.enums import (
    Confidentiality, IdType, MatterType, OfficerRole, PartyKind, Procedure, Source, Stage,
)
from lawtrail.cases.models import Case, CaseOfficer, Party, StageTransition
from lawtrail.core.counters import next_number
from lawtrail.core.errors import InvalidInput, NotAllowed, NotFound, required
from lawtrail.ledger.chain import lock_chain
from lawtrail.ledger.services import ledger_append
from lawtrail.org.enums import Role
from lawtrail.regulations.profiles import get_profile

PERSON_ID_TYPES = {IdType.RESIDENT_ID, IdType.PASSPORT, IdType.OTHER}
ORGANISATION_ID_TYPES = {IdType.USCC, IdType.OTHER}


def _choice(enum, value, label):
    if value not in enum.values:
        raise InvalidInput(f"{label}无效：{value}", field=label)
    return value



def _same_agency(actor, agency):
    if actor.agency_id != agency.pk:
        # Another agency's objects do not exist for this user.
        raise NotFound("案件不存在")


def case_code(agency, matter_type):
    """The 类别代字 of a matter type in the agency's profile (罚, 许, 强 …)."""
    return get_profile(agency.profile).get("numbering.case_codes")[matter_type]


def case_number(agency, matter_type, year, seq):
    """案号: 机关代字 + 类别代字 + 〔year〕 + number, e.g. 衡林罚〔2026〕7号."""
    return f"{agency.case_prefix}{case_code(agency, matter_type)}〔{year}〕{seq}号"


@transaction.atomic
def case_open(*, actor, department, title, matter_type, source, start_reason, officers,
              parties=(), procedure=Procedure.GENERAL, confidentiality=Confidentiality.INTERNAL,
              summary="", complainant_name="", complainant_contact="", reason=None) -> Case:
    """Open a case at 程序启动 with its 案号, parties and handling officers.

    `officers` is a list of (Officer, OfficerRole); `parties` a list of dicts for `party_add`.
    """
    if actor.role not in (Role.OFFICER, Role.HEAD):
        raise NotAllowed("只有执法人员或负责人可以登记案件")
    agency = department.agency
    _same_agency(actor, agency)
    fields = dict(
        title=required(title, "案由"),
        matter_type=_choice(MatterType, matter_type, "事项类型"),
        source=_choice(Source, source, "案件来源"),
        procedure=_choice(Procedure, procedure, "程序"),
        confidentiality=_choice(Confidentiality, confidentiality, "密级"),
        start_reason=required(start_reason, "启动原因"),
        summary=(summary or "").strip(),
        complainant_name=(complainant_name or "").strip(),
        complainant_contact=(complainant_contact or "").strip(),
    )
    if not officers:
        raise InvalidInput("请至少指定一名承办人", field="承办人")
    # Taken first so the case number and the ledger advance under one lock.
    lock_chain()
    now = timezone.now()
    year = timezone.localtime(now).year
    # One gap-free series per 类别代字, as the numbers read.
    seq = next_number(f"case:{agency.pk}:{case_code(agency, fields['matter_type'])}:{year}")
    case = Case.objects.create(
        agency=agency, department=department, year=year, seq=seq,
        case_no=case_number(agency, fields["matter_type"], year, seq), created_by=actor, **fields,
    )
    ledger_append(actor=actor, action="case.open", obj=case, scope=case.scope, reason=reason or fields["start_reason"])
    # The registering officer names the team and the parties (the head's 立案审批 reviews
    # them); every later change is checked by `check_team_change`.
    for officer, role in officers:
        _assign(actor=actor, case=case, officer=officer, role=role, reason=None)
    for party in parties:
        _add_party(actor=actor, case=case, **party)
    return case


def check_team_change(actor, case, what, officer=None, role=None):
    """Who may change an open case's team and parties: the agency's head, or the case's
    lead handling officer for assistants and parties; nobody may put himself on a case
    (that would open its confidential records to him without a grant)."""
    _same_agency(actor, case.agency)
    if officer is not None and officer.user_id is not None and officer.user_id == actor.pk:
        raise NotAllowed("不能指定自己为承办人，请由负责人或本案主办承办人指定")
    if actor.role == Role.HEAD:
        return
    lead = any(a.role == OfficerRole.LEAD and a.officer.user_id == actor.pk for a in case.team())
    if not lead:
        raise NotAllowed(f"{what}须由负责人或本案主办承办人办理")
    if role is not None and role != OfficerRole.ASSIST:
        raise NotAllowed("主办承办人只能增加协办承办人；变更主办承办人须由负责人办理")


def validate_identity(kind, id_type, id_number):
    allowed = PERSON_ID_TYPES if kind == PartyKind.PERSON else ORGANISATION_ID_TYPES
    if id_type not in allowed:
        raise InvalidInput(f"{PartyKind(kind).label}不能使用{IdType(id_type).label}", field="证件类型")
    try:
        if id_type == IdType.RESIDENT_ID:
            return _resident_id(id_number)
        if id_type == IdType.USCC:
            return uscc.validate(id_number)
    except StdnumError:
        raise InvalidInput(f"{IdType(id_type).label}号码“{id_number}”无效，请核对", field="证件号码")
    return id_number


def _resident_id(number):
    """A 居民身份证号码: 18 characters, its check digit, a real birth date and an area code
    that exists or existed. Not whether the county had its code in the year of birth
    (python-stdnum checks that): a number takes the code of the 户籍 where it was issued,
    so someone born in 1980 holds 430421 (衡阳县, coded in 1983) and such numbers are real."""
    try:
        return ric.validate(number)
    except InvalidComponent:
        number = ric.compact(number)
        ric.get_birth_date(number)  # raises for an impossible date
        if not numdb.get("cn/loc").info(number[:6])[0][1]:
            raise
        return number


@transaction.atomic
def party_add(*, actor, case, kind, name, id_type, id_number, legal_representative="",
              address="", phone="", reason=None) -> Party:
    """Add a party to an open case (the head or the lead handling officer)."""
    check_team_change(actor, case, "增加当事人")
    return _add_party(actor=actor, case=case, kind=kind, name=name, id_type=id_type, id_number=id_number,
                      legal_representative=legal_representative, address=address, phone=phone, reason=reason)


def _add_party(*, actor, case, kind, name, id_type, id_number, legal_representative="", address="", phone="",
               reason=None):
    _same_agency(actor, case.agency)
    if case.stage not in (Stage.INITIATION, Stage.INVESTIGATION):
        raise InvalidInput(f"案件已处于“{case.get_stage_display()}”阶段，不能再增加当事人")
    kind = _choice(PartyKind, kind, "当事人类型")
    id_type = _choice(IdType, id_type, "证件类型")
    id_number = validate_identity(kind, id_type, required(id_number, "证件号码"))
    if kind == PartyKind.ORGANISATION and not (legal_representative or "").strip():
        raise InvalidInput("单位当事人须填写法定代表人或负责人", field="法定代表人")
    party = Party.objects.create(
        case=case, kind=kind, name=required(name, "当事人姓名或名称"), id_type=id_type,
        id_number=id_number, legal_representative=(legal_representative or "").strip(),
        address=(address or "").strip(), phone=(phone or "").strip(),
    )
    case.forget_loaded("parties")
    ledger_append(actor=actor, action="party.add", obj=party, scope=case.scope, reason=reason or "")
    return party


@transaction.atomic
def case_assign_officer(*, actor, case, officer, role=OfficerRole.ASSIST, reason=None) -> CaseOfficer:
    """Record an officer as a handling officer of an open case (see `check_team_change`);
    only a qualified officer of the agency may be."""
    check_team_change(actor, case, "指定承办人", officer=officer, role=role)
    return _assign(actor=actor, case=case, officer=officer, role=role, reason=reason)


def _assign(*, actor, case, officer, role, reason):
    _same_agency(actor, case.agency)
    if officer.agency_id != case.agency_id:
        raise InvalidInput(f"{officer.name}不是本机关执法人员", field="承办人")
    if problem := officer.qualification_problem(timezone.localdate()):
        raise InvalidInput(f"{problem}，不能作为承办人", field="承办人")
    if case.stage not in workflow.OPEN_FOR_ASSIGNMENT:
        raise InvalidInput(f"案件已处于“{case.get_stage_display()}”阶段，不能再指定承办人")
    if case.assignments.filter(officer=officer).exists():
        raise InvalidInput(f"{officer.name}已是本案承办人", field="承办人")
    assignment = CaseOfficer.objects.create(case=case, officer=officer, role=_choice(OfficerRole, role, "承办角色"))
    case.forget_loaded("assignments")
    ledger_append(actor=actor, action="case.assign", obj=assignment, scope=case.scope, reason=reason or "")
    return assignment


@transaction.atomic
def case_transition(*, actor, case, name, reason="", data=None) -> StageTransition:
    """Take one step of the workflow table, or refuse with every reason why not."""
    return _transition(actor=actor, case=case, name=name, reason=reason, data=data, gated=True)


@transaction.atomic
def _transition(*, actor, case, name, reason, data, gated):
    """The step; `gated=False` only for the tests' histories (see workflow.refusals)."""
    transition = workflow.TRANSITIONS.get(name)
    if transition is None:
        raise InvalidInput(f"未知的流程步骤：{name}")
    _same_agency(actor, case.agency)
    lock_chain()
    # Re-read under the lock so two approvals of the same case cannot both pass.
    case = Case.objects.select_related("agency").get(pk=case.pk)
    data = {key: (data or {}).get(key, "") for key, _ in transition.fields}
    reason = (reason or "").strip()
    problems = workflow.refusals(transition, case, actor, data, gated=gated)
    if transition.reason_required and not reason:
        problems.append(f"请填写{transition.reason_label}")
    if problems:
        error = NotAllowed if actor.role not in transition.roles else InvalidInput
        raise error("；".join(problems))
    now = timezone.now()
    from_stage = case.stage
    for effect in transition.effects:
        effect(case, actor, now, reason)
    if transition.target is not None:
        case.stage = transition.target
    case.save()
    step = StageTransition.objects.create(
        case=case, name=transition.name, label=transition.label, from_stage=from_stage,
        to_stage=case.stage, actor=actor, at=now, reason=reason, data=data,
    )
    ledger_append(actor=actor, action=f"case.{transition.name}", obj=step, scope=case.scope, reason=reason)
    ledger_append(actor=actor, action="case.update", obj=case, scope=case.scope, reason=transition.label)
    return step
