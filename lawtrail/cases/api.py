from datetime import datetime

from ninja import Field, Router, Schema, Status
from ninja.pagination import LimitOffsetPagination, paginate

from lawtrail.access.policy import case_for
from lawtrail.cases import selectors, services
from lawtrail.cases.enums import Confidentiality, OfficerRole, Procedure
from lawtrail.core.errors import InvalidInput
from lawtrail.ledger.access_log import access_logged
from lawtrail.org.models import Department, Officer

router = Router(tags=["案件"])


class PartyIn(Schema):
    kind: str
    name: str
    id_type: str
    id_number: str
    legal_representative: str = ""
    address: str = ""
    phone: str = ""


class PartyOut(PartyIn):
    id: int


class OfficerOut(Schema):
    name: str
    cert_no: str
    role: str


class CaseOut(Schema):
    id: int
    case_no: str
    agency: str
    profile: str
    department: str
    title: str
    matter_type: str
    source: str
    procedure: str
    stage: str
    stage_label: str
    confidentiality: str
    emergency: bool
    approval_due_at: datetime | None
    start_approved_at: datetime | None
    created_at: datetime

    @staticmethod
    def resolve_agency(obj):
        return obj.agency.name

    @staticmethod
    def resolve_profile(obj):
        return obj.agency.profile

    @staticmethod
    def resolve_department(obj):
        return obj.department.name

    @staticmethod
    def resolve_stage_label(obj):
        return obj.get_stage_display()


class CaseDetailOut(CaseOut):
    start_reason: str
    summary: str
    parties: list[PartyOut]
    officers: list[OfficerOut]

    @staticmethod
    def resolve_parties(obj):
        return list(obj.parties.all())

    @staticmethod
    def resolve_officers(obj):
        return [
            {"name": a.officer.name, "cert_no": a.officer.cert_no, "role": a.role}
            for a in obj.team()
        ]


class CaseIn(Schema):
    department_id: int
    title: str
    matter_type: str
    source: str
    start_reason: str
    procedure: str = Procedure.GENERAL
    confidentiality: str = Confidentiality.INTERNAL
    summary: str = ""
    complainant_name: str = ""
    complainant_contact: str = ""
    officer_certs: list[str]
    parties: list[PartyIn] = []


class TransitionIn(Schema):
    name: str
    reason: str = ""
    data: dict[str, str] = {}


class TransitionOut(Schema):
    name: str
    label: str
    from_stage: str
    to_stage: str
    actor: str
    at: datetime
    reason: str

    @staticmethod
    def resolve_actor(obj):
        return obj.actor.username


class EntryOut(Schema):
    seq: int
    time: datetime | None  # none for a restricted entry (受限条目): only its seq and hash are shown
    restricted: bool = False
    actor: str
    action: str
    object_type: str
    object_id: str
    object_hash: str
    reason: str
    entry_hash: str


class OfficerIn(Schema):
    cert_no: str
    role: str = OfficerRole.ASSIST


def _officer(user, cert_no):
    officer = Officer.objects.filter(cert_no=cert_no, agency_id=user.agency_id).first()
    if officer is None:
        raise InvalidInput(f"本机关没有执法证号为 {cert_no} 的执法人员", field="承办人")
    return officer


class Pages(LimitOffsetPagination):
    """limit/offset within what a database can hold: an absurd number is a 422, not a crash."""

    class Input(Schema):
        limit: int = Field(100, ge=1, le=1000)
        offset: int = Field(0, ge=0, le=2**62)


@router.get("/cases", response=list[CaseOut], summary="案件列表")
@paginate(Pages)
def list_cases(request, q: str = "", stage: str = "", matter_type: str = "", source: str = "",
               procedure: str = "", department: int | None = None):
    return selectors.case_list(
        request.user, q=q, stage=stage, matter_type=matter_type, source=source,
        procedure=procedure, department=department,
    )


@router.get("/cases/{case_id}", response=CaseDetailOut, summary="案件详情")
def get_case(request, case_id: int):
    case = case_for(request.user, case_id)
    access_logged(actor=request.user, action="case.view", obj=case, scope=case.scope,
                  what=f"查看案件 {case.case_no}", request=request)
    return case


@router.post("/cases", response={201: CaseDetailOut}, summary="登记案件")
def create_case(request, payload: CaseIn):
    user = request.user
    department = Department.objects.filter(pk=payload.department_id, agency_id=user.agency_id).first()
    if department is None:
        raise InvalidInput("科室不存在", field="department_id")
    officers = [
        (_officer(user, cert), OfficerRole.LEAD if i == 0 else OfficerRole.ASSIST)
        for i, cert in enumerate(payload.officer_certs)
    ]
    data = payload.dict(exclude={"department_id", "officer_certs", "parties"})
    case = services.case_open(
        actor=user, department=department, officers=officers,
        parties=[p.dict() for p in payload.parties], **data,
    )
    return Status(201, case)


@router.post("/cases/{case_id}/parties", response={201: PartyOut}, summary="增加当事人")
def add_party(request, case_id: int, payload: PartyIn):
    return Status(201, services.party_add(actor=request.user, case=case_for(request.user, case_id), **payload.dict()))


@router.post("/cases/{case_id}/officers", response={201: OfficerOut}, summary="指定承办人")
def assign_officer(request, case_id: int, payload: OfficerIn):
    case = case_for(request.user, case_id)
    assignment = services.case_assign_officer(
        actor=request.user, case=case, officer=_officer(request.user, payload.cert_no), role=payload.role
    )
    return Status(201, {"name": assignment.officer.name, "cert_no": assignment.officer.cert_no, "role": assignment.role})


@router.post("/cases/{case_id}/transitions", response={201: TransitionOut}, summary="办理流程步骤")
def transition(request, case_id: int, payload: TransitionIn):
    case = case_for(request.user, case_id)
    step = services.case_transition(
        actor=request.user, case=case, name=payload.name, reason=payload.reason, data=payload.data
    )
    return Status(201, step)


@router.get("/cases/{case_id}/transitions", response=list[TransitionOut], summary="流程记录")
def transitions(request, case_id: int):
    return case_for(request.user, case_id).transitions.select_related("actor")


@router.get("/cases/{case_id}/ledger", response=list[EntryOut], summary="案件账本记录")
def trail(request, case_id: int):
    return selectors.case_trail(case_for(request.user, case_id))
