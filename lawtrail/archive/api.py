"""The archive through the REST API: case file, retention, holds, disposal, packages, provision."""

from datetime import datetime

from ninja import Router, Schema, Status

from lawtrail.access.policy import case_for
from lawtrail.archive import downloads, selectors, services
from lawtrail.archive.models import DecisionStatus, DisposalRequest, LegalHold, Provision
from lawtrail.core.errors import NotFound

router = Router(tags=["归档与保存"])


class CaseFileOut(Schema):
    version: int
    catalog: list[dict]
    recordings: list[dict]
    notes: str
    page_count: int
    pdf_sha256: str
    assembled_by: str
    assembled_at: datetime
    current: bool

    @staticmethod
    def resolve_assembled_by(obj):
        return obj.assembled_by.get_username()


class CaseFileIn(Schema):
    notes: str = ""


class RetentionOut(Schema):
    kind: str
    label: str
    object_type: str
    object_id: int
    retention: dict
    disposed: bool
    requested: bool


class HoldIn(Schema):
    kind: str
    reason: str


class ReasonIn(Schema):
    reason: str


class MarkIn(Schema):
    circumstance: str
    reason: str
    recording_id: int | None = None


class DisposalIn(Schema):
    reason: str
    recording_id: int | None = None
    attachment_id: int | None = None


class DecisionIn(Schema):
    approve: bool
    reason: str


class DisposalOut(Schema):
    id: int
    case_id: int
    item_label: str
    sha256: str
    size: int
    retention: dict
    reason: str
    status: str
    requested_by: str
    requested_at: datetime
    decided_at: datetime | None
    decision_reason: str

    @staticmethod
    def resolve_requested_by(obj):
        return obj.requested_by.get_username()


class ProvisionIn(Schema):
    purpose: str
    recipient: str
    reason: str


class DeliverIn(Schema):
    received_by: str


class ProvisionOut(Schema):
    id: int
    case_id: int
    purpose: str
    recipient: str
    reason: str
    status: str
    approval_basis: str
    package_sha256: str
    package_size: int | None
    provided_at: datetime | None
    received_by: str


@router.get("/cases/{case_id}/case-file", response=CaseFileOut, summary="案卷（最新组卷）")
def get_case_file(request, case_id: int):
    case = case_for(request.user, case_id)
    case_file = selectors.latest_case_file(case)
    if case_file is None:
        raise NotFound("尚未组卷")
    case_file.current = selectors.case_file_problem(case) is None
    return case_file


@router.post("/cases/{case_id}/case-file", response={201: CaseFileOut}, summary="组卷（生成卷内目录、备考表和案卷 PDF）")
def assemble(request, case_id: int, payload: CaseFileIn):
    case_file = services.casefile_assemble(actor=request.user, case=case_for(request.user, case_id),
                                           notes=payload.notes)
    case_file.current = True
    return Status(201, case_file)


@router.get("/cases/{case_id}/case-file/pdf", summary="下载案卷 PDF（记录调阅）")
def case_file_pdf(request, case_id: int):
    return downloads.case_file_response(request, case_for(request.user, case_id))


@router.get("/cases/{case_id}/retention", response=list[RetentionOut], summary="案件各项记录的保存期限")
def retention(request, case_id: int):
    rows = selectors.retention_rows(case_for(request.user, case_id))
    return [{"kind": r["kind"], "label": r["label"], "object_type": r["object"]._meta.label_lower,
             "object_id": r["object"].pk, "retention": r["retention"].as_dict(), "disposed": r["disposed"],
             "requested": r["requested"]} for r in rows]


@router.post("/cases/{case_id}/holds", response={201: dict}, summary="设置保全（复议、诉讼、投诉期间暂停到期）")
def place_hold(request, case_id: int, payload: HoldIn):
    hold = services.hold_place(actor=request.user, case=case_for(request.user, case_id), kind=payload.kind,
                               reason=payload.reason)
    return Status(201, {"id": hold.pk})


@router.post("/cases/{case_id}/holds/{hold_id}/release", response=dict, summary="解除保全")
def release(request, case_id: int, hold_id: int, payload: ReasonIn):
    case = case_for(request.user, case_id)
    hold = LegalHold.objects.filter(case=case, pk=hold_id).first()
    if hold is None:
        raise NotFound("保全不存在")
    services.hold_release(actor=request.user, hold=hold, reason=payload.reason)
    return {"id": hold.pk}


@router.post("/cases/{case_id}/retention-marks", response={201: dict}, summary="登记长期或永久保存情形")
def mark(request, case_id: int, payload: MarkIn):
    from lawtrail.media.selectors import recording_for

    case = case_for(request.user, case_id)
    recording = recording_for(case, payload.recording_id) if payload.recording_id else None
    created = services.retention_mark(actor=request.user, case=case, circumstance=payload.circumstance,
                                      reason=payload.reason, recording=recording)
    return Status(201, {"id": created.pk})


@router.post("/cases/{case_id}/disposals", response={201: DisposalOut}, summary="申请销毁到期的音像记录或附件")
def request_disposal(request, case_id: int, payload: DisposalIn):
    from lawtrail.media.selectors import recording_for
    from lawtrail.records.models import Attachment

    case = case_for(request.user, case_id)
    recording = recording_for(case, payload.recording_id) if payload.recording_id else None
    attachment = None
    if payload.attachment_id:
        attachment = Attachment.objects.filter(pk=payload.attachment_id, record__case=case).first()
        if attachment is None:
            raise NotFound("附件不存在")
    return Status(201, services.disposal_request(actor=request.user, case=case, reason=payload.reason,
                                                 recording=recording, attachment=attachment))


@router.get("/disposals", response=list[DisposalOut], summary="待审批的销毁申请")
def pending_disposals(request):
    from lawtrail.access.policy import visible_cases

    return (DisposalRequest.objects.filter(case__in=visible_cases(request.user), status=DecisionStatus.PENDING)
            .select_related("requested_by"))


@router.post("/disposals/{request_id}/decide", response=DisposalOut, summary="审批销毁申请（批准即销毁内容，保留墓碑记录）")
def decide_disposal(request, request_id: int, payload: DecisionIn):
    from lawtrail.access.policy import visible_cases

    disposal = DisposalRequest.objects.filter(pk=request_id, case__in=visible_cases(request.user)).first()
    if disposal is None:
        raise NotFound("销毁申请不存在")
    return services.disposal_decide(actor=request.user, request=disposal, approve=payload.approve,
                                    reason=payload.reason)


@router.get("/cases/{case_id}/package", summary="下载证据包（BagIt，含离线校验程序；记录调阅）")
def package(request, case_id: int):
    return downloads.package_response(request, case_for(request.user, case_id))


@router.get("/cases/{case_id}/provisions", response=list[ProvisionOut], summary="对外提供记录")
def provisions(request, case_id: int):
    return Provision.objects.filter(case=case_for(request.user, case_id))


@router.post("/cases/{case_id}/provisions", response={201: ProvisionOut}, summary="申请向复议机关、法院等提供证据包")
def request_provision(request, case_id: int, payload: ProvisionIn):
    return Status(201, services.provision_request(actor=request.user, case=case_for(request.user, case_id),
                                                  purpose=payload.purpose, recipient=payload.recipient,
                                                  reason=payload.reason))


def _provision(request, case_id, provision_id):
    provision = Provision.objects.filter(case=case_for(request.user, case_id), pk=provision_id).first()
    if provision is None:
        raise NotFound("对外提供申请不存在")
    return provision


@router.post("/cases/{case_id}/provisions/{provision_id}/decide", response=ProvisionOut, summary="审批对外提供")
def decide_provision(request, case_id: int, provision_id: int, payload: DecisionIn):
    return services.provision_decide(actor=request.user, provision=_provision(request, case_id, provision_id),
                                     approve=payload.approve, reason=payload.reason)


@router.post("/cases/{case_id}/provisions/{provision_id}/deliver", response=ProvisionOut,
             summary="提供证据包并留存副本（记录接收人和时间）")
def deliver(request, case_id: int, provision_id: int, payload: DeliverIn):
    return services.provision_deliver(actor=request.user, provision=_provision(request, case_id, provision_id),
                                      received_by=payload.received_by, request=request)


@router.get("/cases/{case_id}/provisions/{provision_id}/package", summary="下载留存的提供副本（记录调阅）")
def provided_copy(request, case_id: int, provision_id: int):
    return downloads.provided_copy_response(request, _provision(request, case_id, provision_id))
