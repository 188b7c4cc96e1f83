import base64
import binascii
from datetime import datetime

from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from lawtrail.access.policy import CONFIDENTIAL, case_for
from lawtrail.access.watermark import pdf_download, watermark_text, watermarked
from lawtrail.blobs.responses import blob_download, bytes_download, content_disposition
from lawtrail.core.errors import InvalidInput, NotFound
from lawtrail.ledger.access_log import access_logged
from lawtrail.org.models import Officer
from lawtrail.org.selectors import user_named
from lawtrail.records import selectors, services
from lawtrail.records.catalog import catalog, doc_type
from lawtrail.records.pdf import render_blank, render_draft

router = Router(tags=["执法文书"])


class FieldOut(Schema):
    key: str
    label: str
    type: str
    required: bool
    options: list[str]
    columns: list[str]


class SignerOut(Schema):
    slot: str
    kind: str
    label: str
    min: int
    may_refuse: bool


class DocTypeOut(Schema):
    code: str
    title: str
    stage: str
    cite: list[str]
    fields: list[FieldOut]
    signers: list[SignerOut]


class SignatureOut(Schema):
    id: int
    slot: str
    signer_name: str
    method: str
    refused: bool
    refusal_reason: str
    witness_name: str
    video_ref: str
    image_sha256: str
    auth: str
    covers: list[str]
    content_hash: str
    device_time: datetime | None = None
    signed_at: datetime
    valid: bool = True


class RecordOut(Schema):
    id: int
    doc_type: str
    title: str
    stage: str
    status: str
    version: int
    previous_id: int | None
    correction_reason: str
    number: str
    number_label: str  # 文号 (issued to the party) or 编号 (an internal record, within its case)
    data: dict
    created_by: str
    created_at: datetime
    finalised_at: datetime | None
    pdf_sha256: str
    revision: str  # the draft's version: send it back as base_revision so a stale save is refused

    @staticmethod
    def resolve_created_by(obj):
        return obj.created_by.username

    @staticmethod
    def resolve_revision(obj):
        return selectors.draft_revision(obj)


class AttachmentOut(Schema):
    id: int
    filename: str
    content_type: str
    size: int
    sha256: str
    description: str
    uploaded_at: datetime


class RecordDetailOut(RecordOut):
    signatures: list[SignatureOut]
    attachments: list[AttachmentOut]
    problems: list[str]

    @staticmethod
    def resolve_attachments(obj):
        return list(obj.attachments.all())

    @staticmethod
    def resolve_signatures(obj):
        valid = {s.pk for s in selectors.valid_signatures(obj)}
        return [{**SignatureOut.from_orm(s).dict(), "valid": s.pk in valid} for s in obj.signatures.all()]

    @staticmethod
    def resolve_problems(obj):
        return services.finalise_problems(obj) if not obj.is_final else []


class RecordIn(Schema):
    doc_type: str
    data: dict = {}


class DataIn(Schema):
    data: dict
    # The revision the edits started from: when the draft was saved differently since, 409 and
    # nothing is saved. Left out, the save replaces whatever is there.
    base_revision: str | None = None


class SignIn(Schema):
    slot: str
    method: str
    signer_name: str = ""
    officer_cert: str = ""  # an officer slot: whose (default: the caller's own)
    signer_username: str = ""  # a head, reviewer or department slot: whose (default: the caller)
    password: str = ""  # the signer's own, when he is not the caller
    otp: str = ""
    device_time: str = ""
    image_base64: str = ""


class RefuseIn(Schema):
    slot: str
    signer_name: str
    reason: str
    witness_name: str = ""
    video_ref: str = ""
    device_time: str = ""


class ReasonIn(Schema):
    reason: str


def _record(request, case_id, record_id):
    return selectors.record_for(case_for(request.user, case_id), record_id)


def decode_image(text):
    """Base64 or a data: URL, as a signature pad sends it."""
    if not text:
        return None
    try:
        return base64.b64decode(text.split(",", 1)[1] if text.startswith("data:") else text, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput("签名图像不是有效的 base64 数据", field="image")


@router.get("/record-types", response=list[DocTypeOut], summary="文书类型目录")
def record_types(request):
    return list(catalog().values())


@router.get("/cases/{case_id}/records", response=list[RecordOut], summary="案件的执法文书")
def list_records(request, case_id: int):
    return selectors.case_records(case_for(request.user, case_id))


@router.post("/cases/{case_id}/records", response={201: RecordDetailOut}, summary="制作文书（草稿）")
def create_record(request, case_id: int, payload: RecordIn):
    case = case_for(request.user, case_id)
    return Status(201, services.record_create(actor=request.user, case=case, doc_type_code=payload.doc_type,
                                              data=payload.data))


@router.get("/cases/{case_id}/records/{record_id}", response=RecordDetailOut, summary="文书详情")
def get_record(request, case_id: int, record_id: int):
    record = _record(request, case_id, record_id)
    access_logged(actor=request.user, action="record.view", obj=record, scope=record.case.scope,
                  what=f"查看《{record.title}》{record.number}", request=request)
    return record


@router.put("/cases/{case_id}/records/{record_id}", response=RecordDetailOut, summary="修改草稿")
def update_record(request, case_id: int, record_id: int, payload: DataIn):
    return services.record_update(actor=request.user, record=_record(request, case_id, record_id), data=payload.data,
                                  base_revision=payload.base_revision)


@router.post("/cases/{case_id}/records/{record_id}/sign", response={201: SignatureOut}, summary="签名、捺指印或盖章")
def sign(request, case_id: int, record_id: int, payload: SignIn):
    record = _record(request, case_id, record_id)
    officer = None
    if payload.officer_cert:
        officer = Officer.objects.filter(cert_no=payload.officer_cert, agency_id=record.case.agency_id).first()
        if officer is None:
            raise InvalidInput(f"本机关没有执法证号为 {payload.officer_cert} 的执法人员", field="officer_cert")
    signer_user = None
    if payload.signer_username:
        signer_user = user_named(request.user, payload.signer_username)
        if signer_user is None:
            raise InvalidInput(f"本机关没有账户名为 {payload.signer_username} 的用户", field="signer_username")
    return Status(201, services.record_sign(
        actor=request.user, record=record, slot=payload.slot, method=payload.method,
        signer_name=payload.signer_name, officer=officer, signer_user=signer_user, password=payload.password,
        otp=payload.otp, device_time=payload.device_time, image=decode_image(payload.image_base64),
        request=request))


@router.post("/cases/{case_id}/records/{record_id}/refuse", response={201: SignatureOut}, summary="记录拒签")
def refuse(request, case_id: int, record_id: int, payload: RefuseIn):
    return Status(201, services.record_refuse(actor=request.user, record=_record(request, case_id, record_id),
                                              **payload.dict()))


@router.post("/cases/{case_id}/records/{record_id}/finalise", response=RecordDetailOut, summary="定稿")
def finalise(request, case_id: int, record_id: int):
    return services.record_finalise(actor=request.user, record=_record(request, case_id, record_id))


@router.post("/cases/{case_id}/records/{record_id}/correct", response={201: RecordDetailOut}, summary="更正（新版本）")
def correct(request, case_id: int, record_id: int, payload: ReasonIn):
    return Status(201, services.record_correct(actor=request.user, record=_record(request, case_id, record_id),
                                               reason=payload.reason))


def pdf_response(user, record):
    """The finalised record's PDF; each download is an access written to the ledger."""
    if not record.is_final:
        raise InvalidInput("草稿没有 PDF，请先定稿")
    services.record_downloaded(actor=user, record=record)
    return pdf_download(user, record.case, selectors.sealed_pdf_sha256(record),
                        f"{record.title}-{record.number}-v{record.version}.pdf", record.number)


def preview_response(user, record):
    """A draft as a PDF marked 草稿, shown in the browser to read and print; a confidential
    case's preview is marked with who printed it, as its downloads are."""
    services.record_previewed(actor=user, record=record)
    pdf = render_draft(record)
    if record.case.confidentiality in CONFIDENTIAL:
        pdf = watermarked(pdf, watermark_text(user, record.case, doing="预览打印"))
    return pdf_inline(pdf, f"{record.title}-草稿.pdf")


def blank_response(code, agency, kind=""):
    """A type printed blank for field work: the form only, nothing of any case."""
    spec = doc_type(code)
    if kind and (not spec.title_field or kind not in spec.field(spec.title_field).options):
        raise NotFound("没有这种文书")
    return pdf_inline(render_blank(spec, agency, kind), f"{spec.title_for({spec.title_field: kind})}-空白.pdf")


def pdf_inline(pdf, filename):
    response = bytes_download(pdf, filename, "application/pdf")
    response["Content-Disposition"] = content_disposition(filename, "inline")  # opens in the viewer, to print
    return response


def attachment_response(user, record, attachment_id):
    """An attached scan or photo, byte-for-byte; each download is in the ledger."""
    attachment = record.attachments.filter(pk=attachment_id).first()
    if attachment is None:
        raise NotFound("附件不存在")
    services.attachment_downloaded(actor=user, attachment=attachment)
    return blob_download(attachment.sha256, attachment.filename, attachment.content_type)


@router.get("/cases/{case_id}/records/{record_id}/pdf", summary="下载 PDF")
def pdf(request, case_id: int, record_id: int):
    return pdf_response(request.user, _record(request, case_id, record_id))


@router.post("/cases/{case_id}/records/{record_id}/attachments", response={201: AttachmentOut},
             summary="上传附件（签字页扫描件、照片）")
def attach(request, case_id: int, record_id: int, file: UploadedFile = File(...), description: str = Form("")):
    record = _record(request, case_id, record_id)
    return Status(201, services.record_attach(actor=request.user, record=record, upload=file,
                                              description=description))


@router.get("/cases/{case_id}/records/{record_id}/attachments/{attachment_id}", summary="下载附件")
def attachment(request, case_id: int, record_id: int, attachment_id: int):
    return attachment_response(request.user, _record(request, case_id, record_id), attachment_id)
