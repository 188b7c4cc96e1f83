"""The only writers of the archive: assemble the case file, holds, retention marks,
disposal (request → head's approval → content removed, tombstone kept) and provision
of packages to review bodies and courts."""

import io
import logging

from django.db import transaction
from django.utils import timezone
from pypdf import PdfReader, PdfWriter

from lawtrail.archive import selectors
from lawtrail.archive.models import (
    CaseFile, Circumstance, DecisionStatus, DisposalRequest, HoldKind, LegalHold, Provision, ProvisionPurpose,
    ProvisionStatus, RetentionMark,
)
from lawtrail.archive.retention import case_facts, disposable, record_retention, recording_retention
from lawtrail.blobs import blob_store
from lawtrail.cases.enums import Stage
from lawtrail.core.errors import Conflict, InvalidInput, NotAllowed, NotFound, required
from lawtrail.core.policy import case_for, check_copy, require_role
from lawtrail.ledger.access_log import access_logged, guarded
from lawtrail.ledger.chain import lock_chain
from lawtrail.ledger.services import ledger_append
from lawtrail.media.selectors import storage_location
from lawtrail.org.enums import Role
from lawtrail.records.catalog import doc_type
from lawtrail.regulations.citations import of_profile

ARCHIVISTS = (Role.ARCHIVIST,)
HOLD_SETTERS = (Role.ARCHIVIST, Role.HEAD, Role.SUPERVISOR)
PROVISION_REQUESTERS = (Role.OFFICER, Role.ARCHIVIST, Role.HEAD, Role.SUPERVISOR)
# 002 第十四条: provided to outside bodies only through the designated office.
PROVISION_DELIVERERS = (Role.ARCHIVIST, Role.HEAD, Role.SUPERVISOR)

logger = logging.getLogger(__name__)



# --- case file (立卷) ----------------------------------------------------------------

def _catalog(case, records):
    items, page = [], 1
    for n, record in enumerate(records, 1):
        pages = selectors.pdf_pages(record.pdf_sha256)
        remark = []
        if record.version > 1:
            remark.append(f"第 {record.version} 版（更正：{record.correction_reason}）")
        if record.attachments.exists():
            remark.append(f"附件 {record.attachments.count()} 件")
        # The 制作依据 is kept here and in the PDF's metadata, not printed on the document itself.
        if cite := "、".join(of_profile(doc_type(record.doc_type).cite, case.agency.profile)):
            remark.append(f"制作依据：{cite}")
        items.append({
            "seq": n, "number": record.number, "responsible": case.agency.name, "title": record.title,
            "date": timezone.localtime(record.finalised_at).strftime("%Y%m%d"), "pages": pages,
            "page_from": page, "page_to": page + pages - 1, "remark": "；".join(remark), "record_id": record.pk,
        })
        page += pages
    return items


def _recording_list(case):
    notes = selectors.evidence_notes(case)
    disposed = selectors.disposed_hashes(case)
    rows = []
    for n, rec in enumerate(case.recordings.select_related("officer"), 1):
        note = notes.get(rec.sha256)
        rows.append({
            "seq": n, "filename": rec.filename, "kind": rec.get_kind_display(), "activity": rec.get_activity_display(),
            "maker": rec.officer.name, "made_at": timezone.localtime(rec.started_at or rec.received_at)
            .strftime("%Y-%m-%d %H:%M"), "method": rec.method, "proves": rec.proves,
            "duration": rec.duration_ms // 1000 if rec.duration_ms else None, "sha256": rec.sha256,
            "location": "已按保存期限销毁" if rec.sha256 in disposed else storage_location(rec),
            "note": f"《{note.title}》{note.number}" if note else "", "recording_id": rec.pk,
        })
    return rows


def _volume_pdf(case, catalog, recordings, notes, actor, now, version):
    from django.template.loader import render_to_string
    from weasyprint import HTML

    total_pages = catalog[-1]["page_to"] if catalog else 0
    html = render_to_string("archive/casefile.html", {
        "case": case, "agency": case.agency, "catalog": catalog, "recordings": recordings, "notes": notes,
        "actor": actor, "now": timezone.localtime(now), "version": version, "total_pages": total_pages,
        "av_cite": "、".join(of_profile(doc_type("av_evidence_note").cite, case.agency.profile)),
    })
    writer = PdfWriter()
    writer.append(io.BytesIO(HTML(string=html).write_pdf()))
    store = blob_store()
    for item in catalog:
        record = case.records.get(pk=item["record_id"])
        with store.open(record.pdf_sha256) as f:
            writer.append(PdfReader(io.BytesIO(f.read())))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue(), len(writer.pages)


@transaction.atomic
def casefile_assemble(*, actor, case, notes="") -> CaseFile:
    """立卷: every finalised record in time order with its 卷内目录, the recordings listed by
    storage location with their 文字说明, the 备考表, all rendered into one PDF volume."""
    require_role(actor, ARCHIVISTS, "立卷归档")
    case = case_for(actor, case.pk)
    if case.stage != Stage.ARCHIVING:
        raise InvalidInput(f"案件处于“{case.get_stage_display()}”阶段，执法行为终结（结案）后才能组卷")
    records = selectors.file_records(case)
    if not records:
        raise InvalidInput("案件没有已定稿的文书，无法组卷")
    lock_chain()
    now = timezone.now()
    version = CaseFile.objects.filter(case=case).count() + 1
    catalog, recordings = _catalog(case, records), _recording_list(case)
    notes = (notes or "").strip()
    pdf, pages = _volume_pdf(case, catalog, recordings, notes, actor, now, version)
    sha256, _, _ = blob_store().put(pdf)
    case_file = CaseFile.objects.create(
        case=case, version=version, catalog=catalog, recordings=recordings, record_ids=[r.pk for r in records],
        notes=notes, page_count=pages, pdf_sha256=sha256, assembled_by=actor, assembled_at=now,
    )
    ledger_append(actor=actor, action="casefile.assemble", obj=case_file, scope=case.scope,
                  reason=f"组卷第 {version} 版：文书 {len(catalog)} 件，音像记录 {len(recordings)} 个")
    return case_file


def check_exporter(actor, case):
    """Who may take a package out of the system: the archive, heads and supervisors, and
    the officers handling the case. Handing it to anyone outside goes through provision."""
    if not (actor.role in (Role.ARCHIVIST, Role.HEAD, Role.SUPERVISOR, Role.REVIEWER)
            or (actor.role == Role.OFFICER and case.handled_by(actor))):
        raise NotAllowed("只有本案承办人、审核人员、负责人、档案管理员或监督人员可以导出证据包")
    guarded(check_copy, actor=actor, case=case, what="导出证据包")


def casefile_downloaded(*, actor, case_file, request=None):
    guarded(check_copy, actor=actor, case=case_file.case, what="下载案卷 PDF", request=request)
    access_logged(actor=actor, action="casefile.download", obj=case_file, scope=case_file.case.scope,
                  what=f"下载案卷第 {case_file.version} 版 PDF", request=request)


def provision_copy_downloaded(*, actor, provision, request=None):
    """The kept copy is a whole evidence package: only those who may export one take it out."""
    check_exporter(actor, provision.case)
    access_logged(actor=actor, action="provision.download", obj=provision, scope=provision.case.scope,
                  what=f"下载向{provision.recipient}提供的留存副本", request=request)


# --- holds and retention marks ----------------------------------------------------------

@transaction.atomic
def hold_place(*, actor, case, kind, reason) -> LegalHold:
    require_role(actor, HOLD_SETTERS, "设置保全")
    if kind not in HoldKind.values:
        raise InvalidInput(f"保全事由无效：{kind}", field="kind")
    hold = LegalHold.objects.create(case=case, kind=kind, reason=required(reason, "保全说明"), placed_by=actor,
                                    placed_at=timezone.now())
    ledger_append(actor=actor, action="hold.place", obj=hold, scope=case.scope,
                  reason=f"{hold.get_kind_display()}：{hold.reason}")
    return hold


@transaction.atomic
def hold_release(*, actor, hold, reason) -> LegalHold:
    require_role(actor, HOLD_SETTERS, "解除保全")
    if hold.released_at is not None:
        raise Conflict("该保全已经解除")
    hold.released_by, hold.released_at = actor, timezone.now()
    hold.release_reason = required(reason, "解除理由")
    hold.save()
    ledger_append(actor=actor, action="hold.release", obj=hold, scope=hold.case.scope, reason=hold.release_reason)
    return hold


@transaction.atomic
def retention_mark(*, actor, case, circumstance, reason, recording=None) -> RetentionMark:
    """Record a circumstance (阻碍执法, 群体性事件…) that makes recordings be kept longer."""
    if actor.role not in (Role.OFFICER, Role.HEAD, Role.ARCHIVIST, Role.SUPERVISOR):
        raise NotAllowed("只有执法人员、负责人、档案管理员或监督人员可以登记保存情形")
    if circumstance not in Circumstance.values:
        raise InvalidInput(f"保存情形无效：{circumstance}", field="circumstance")
    if recording is not None and recording.case_id != case.pk:
        raise NotFound("音像记录不存在")
    mark = RetentionMark.objects.create(case=case, recording=recording, circumstance=circumstance,
                                        reason=required(reason, "情形说明"), marked_by=actor,
                                        marked_at=timezone.now())
    ledger_append(actor=actor, action="retention.mark", obj=mark, scope=case.scope,
                  reason=f"{mark.get_circumstance_display()}：{mark.reason}")
    return mark


# --- disposal -------------------------------------------------------------------------

def _disposal_refusal(case, retention, today=None):
    if not disposable(case):
        return f"案件处于“{case.get_stage_display()}”阶段，未归档案件的记录一律不得销毁"
    if retention.held:
        return "案件处于" + "、".join(h.get_kind_display() for h in retention.holds) + "保全期间，不得销毁"
    if retention.permanent:
        return f"该项永久保存（{retention.period.label}，{retention.period.cite}）"
    if retention.pending or not retention.expired(today):
        return f"保存期限未满：{retention.summary}（{retention.period.label}，{retention.period.cite}）"
    return None


@transaction.atomic
def disposal_request(*, actor, case, reason, recording=None, attachment=None) -> DisposalRequest:
    require_role(actor, ARCHIVISTS, "申请销毁")
    case = case_for(actor, case.pk)
    facts = case_facts(case)
    if recording is not None:
        if recording.case_id != case.pk:
            raise NotFound("音像记录不存在")
        retention, label, sha256, size = (recording_retention(recording, facts), f"音像记录 {recording.filename}",
                                          recording.sha256, recording.size)
    elif attachment is not None:
        if attachment.record.case_id != case.pk:
            raise NotFound("附件不存在")
        retention, label, sha256, size = (record_retention(attachment.record, facts), f"附件 {attachment.filename}",
                                          attachment.sha256, attachment.size)
    else:
        raise InvalidInput("请指定要销毁的音像记录或附件")
    if refusal := _disposal_refusal(case, retention):
        raise Conflict(f"不能申请销毁{label}：{refusal}")
    if DisposalRequest.objects.filter(case=case, sha256=sha256,
                                      status__in=[DecisionStatus.PENDING, DecisionStatus.APPROVED]).exists():
        raise Conflict(f"{label}已有销毁申请")
    request = DisposalRequest.objects.create(
        case=case, recording=recording, attachment=attachment, item_label=label, sha256=sha256, size=size,
        retention=retention.as_dict(), reason=required(reason, "申请理由"), requested_by=actor,
        requested_at=timezone.now(),
    )
    ledger_append(actor=actor, action="disposal.request", obj=request, scope=case.scope,
                  reason=f"{label}：{request.reason}（{retention.as_dict()['basis']}）")
    return request


def _still_referenced(sha256):
    """Content-addressed: the same bytes may belong to another item that is not disposed of."""
    from django.db.models import Q

    from lawtrail.ledger import registry
    from lawtrail.media.models import Recording
    from lawtrail.records.models import Attachment

    approved = DisposalRequest.objects.filter(status=DecisionStatus.APPROVED)
    gone = {Recording: set(approved.values_list("recording_id", flat=True)),
            Attachment: set(approved.values_list("attachment_id", flat=True))}
    for model in registry.ledgered_models().values():
        if not model.ledger_blobs:
            continue
        match = Q()
        for name in model.ledger_blobs:
            match |= Q(**{name: sha256})
        if model._default_manager.filter(match).exclude(pk__in=gone.get(model, ())).exists():
            return True
    return False


@transaction.atomic
def disposal_decide(*, actor, request, approve, reason) -> DisposalRequest:
    """The head approves or denies. Approval re-checks every rule at this moment, removes
    the content and leaves the tombstone: the request row and the `dispose` ledger entry
    naming what, why, who approved and the hash of what was removed."""
    require_role(actor, (Role.HEAD,), "审批销毁申请")
    lock_chain()
    request = DisposalRequest.objects.select_related("case__agency", "recording", "attachment__record").get(
        pk=request.pk)
    case = case_for(actor, request.case_id)
    if request.status != DecisionStatus.PENDING:
        raise Conflict(f"该申请已{request.get_status_display()}")
    reason = required(reason, "审批意见")
    request.decided_by, request.decided_at, request.decision_reason = actor, timezone.now(), reason
    if not approve:
        request.status = DecisionStatus.DENIED
        request.save()
        ledger_append(actor=actor, action="disposal.deny", obj=request, scope=case.scope, reason=reason)
        return request
    facts = case_facts(case)
    item = request.recording or request.attachment
    retention = (recording_retention(item, facts) if request.recording else record_retention(item.record, facts))
    if refusal := _disposal_refusal(case, retention):
        raise Conflict(f"不能批准销毁{request.item_label}：{refusal}")
    store = blob_store()
    hashes = [request.sha256]
    if request.recording and request.recording.thumbnail_sha256:
        hashes.append(request.recording.thumbnail_sha256)
    for sha256 in hashes:
        lock = store.lock_state(sha256)
        if lock.blocks_deletion():
            raise Conflict(f"不能批准销毁{request.item_label}：对象存储对该文件{lock.text}，"
                           "期满前任何人都无法删除，请届时再批准")
    request.status = DecisionStatus.APPROVED
    request.save()
    ledger_append(actor=actor, action="disposal.approve", obj=request, scope=case.scope, reason=reason)
    ledger_append(actor=actor, action=f"{'recording' if request.recording else 'attachment'}.dispose", obj=item,
                  scope=case.scope,
                  reason=(f"销毁{request.item_label}（SHA-256 {request.sha256}，{request.size} 字节）；"
                          f"依据：{request.retention.get('basis')}；申请人 {request.requested_by.get_username()}，"
                          f"批准人 {actor.get_username()}：{reason}"))
    # The bytes go only once the decision is committed, and only if nothing else still needs them.
    transaction.on_commit(lambda: _delete_blobs(store, hashes))
    return request


def _delete_blobs(store, hashes):
    for sha256 in hashes:
        if _still_referenced(sha256):
            continue
        try:
            store.delete(sha256)
        except Exception:  # the approval stands; the bytes stay until an administrator removes them
            logger.exception("disposal approved but the store kept %s", sha256)


# --- provision to review bodies and courts ---------------------------------------------

def provision_needs_approval(case):
    from lawtrail.regulations.profiles import get_profile

    block = get_profile(case.agency.profile).get("provision")
    return bool(block.get("approval_required")), get_profile(case.agency.profile).cite("provision")


@transaction.atomic
def provision_request(*, actor, case, purpose, recipient, reason) -> Provision:
    if actor.role not in PROVISION_REQUESTERS:
        raise NotAllowed("只有执法人员、档案管理员、负责人或监督人员可以申请对外提供")
    case = case_for(actor, case.pk)
    if purpose not in ProvisionPurpose.values:
        raise InvalidInput(f"用途无效：{purpose}", field="purpose")
    needs, cite = provision_needs_approval(case)
    provision = Provision.objects.create(
        case=case, purpose=purpose, recipient=required(recipient, "接收单位"), reason=required(reason, "提供理由"),
        requested_by=actor, requested_at=timezone.now(),
        status=ProvisionStatus.PENDING if needs else ProvisionStatus.APPROVED, approval_basis=cite,
    )
    ledger_append(actor=actor, action="provision.request", obj=provision, scope=case.scope,
                  reason=f"向{provision.recipient}提供（{provision.get_purpose_display()}）：{provision.reason}")
    return provision


@transaction.atomic
def provision_decide(*, actor, provision, approve, reason) -> Provision:
    require_role(actor, (Role.HEAD,), "审批对外提供")
    case_for(actor, provision.case_id)
    if provision.status != ProvisionStatus.PENDING:
        raise Conflict(f"该申请{provision.get_status_display()}")
    provision.decided_by, provision.decided_at = actor, timezone.now()
    provision.decision_reason = required(reason, "审批意见")
    provision.status = ProvisionStatus.APPROVED if approve else ProvisionStatus.DENIED
    provision.save()
    ledger_append(actor=actor, action="provision.approve" if approve else "provision.deny", obj=provision,
                  scope=provision.case.scope, reason=provision.decision_reason)
    return provision


def provision_deliver(*, actor, provision, received_by, request=None) -> Provision:
    """Build the package, keep a copy of exactly what is handed over (a zip of the bag, in
    the blob store), and record who received it and when."""
    from lawtrail.archive.package import package_zip

    if actor.role not in PROVISION_DELIVERERS:
        raise NotAllowed("对外提供须由档案管理员、负责人或监督人员统一办理")
    case = case_for(actor, provision.case_id)
    if provision.status != ProvisionStatus.APPROVED:
        raise Conflict(f"该申请{provision.get_status_display()}，不能提供")
    received_by = required(received_by, "接收人")
    purpose = f"{provision.get_purpose_display()}：提供给{provision.recipient}"
    with package_zip(actor=actor, case=case, purpose=purpose, request=request) as zip_path:
        with open(zip_path, "rb") as f:
            sha256, size, _ = blob_store().put(f)
    with transaction.atomic():
        provision = Provision.objects.select_for_update().get(pk=provision.pk)
        if provision.status != ProvisionStatus.APPROVED:
            raise Conflict(f"该申请{provision.get_status_display()}，不能提供")
        provision.status = ProvisionStatus.PROVIDED
        provision.package_sha256, provision.package_size = sha256, size
        provision.provided_by, provision.provided_at, provision.received_by = actor, timezone.now(), received_by
        provision.save()
        ledger_append(actor=actor, action="provision.deliver", obj=provision, scope=case.scope,
                      reason=f"已向{provision.recipient}提供证据包（SHA-256 {sha256}），接收人 {received_by}")
    return provision
