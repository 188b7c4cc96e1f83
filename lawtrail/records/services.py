"""The only writers of 执法文书: draft, edit, sign or refuse, attach, finalise, correct."""

import secrets

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from lawtrail.blobs import blob_store
from lawtrail.core.counters import next_number
from lawtrail.core.errors import Conflict, InvalidInput, LawTrailError, NotAllowed
from lawtrail.core.policy import check_case_writer, check_copy
from lawtrail.cases.selectors import party_details
from lawtrail.core.text import clean_filename
from lawtrail.ledger.access_log import access_refused, guarded
from lawtrail.ledger.chain import lock_chain
from lawtrail.ledger.services import ledger_append
from lawtrail.org.enums import Role
from lawtrail.org.services import ENROLMENT_ALPHABET
from lawtrail.records.catalog import doc_type
from lawtrail.records.pdf import render_document
from lawtrail.records.sealing import seal_pdf, seal_timestamp_add, timestamp_configured
from lawtrail.org.services import identity_confirmed
from lawtrail.records.selectors import (
    draft_revision, record_content_hash, served_documents, the_decision, valid_signatures, voided_signatures,
)
from lawtrail.records.models import (
    IMAGE_REQUIRED, Attachment, Record, RecordStatus, Seal, SealLevel, Signature, SignAuth, SignMethod,
)
from lawtrail.regulations.citations import of_profile
from lawtrail.regulations.profiles import get_profile

# What a signature image or a scanned page may be: PNG, JPEG or PDF, by their magic bytes.
IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"%PDF-")
MAX_ATTACHMENT_BYTES = 50 * 2**20  # scans and photos; recordings go through the A/V ingest
STALE_DRAFT = "服务器上的草稿已被修改（他人或其他页面已保存了较新的版本），本次保存未采用，以服务器上的版本为准"


def _check_writer(actor, case, record=None):
    check_case_writer(actor, case, record=record)


def _check_draft(record):
    if record.status != RecordStatus.DRAFT:
        raise Conflict(f"《{record.title}》已{record.get_status_display()}，不能再修改；如需更正请制作更正版本")


def _save(actor, record, action, reason=""):
    record.save()
    ledger_append(actor=actor, action=action, obj=record, scope=record.case.scope, reason=reason)
    return record


def case_facts(case, actor=None):
    """What the case already knows, to pre-fill the fields of a new document of that name:
    the party's details, the one 决定书 a 送达回证 serves, the official writing it."""
    officers = [a.officer for a in case.team()]
    parties = list(case.parties.all())
    first_party = parties[0].name if parties else None
    details = party_details(parties[0]) if parties else {}
    decision = the_decision(served_documents(case))
    return {
        **{f"interviewee_{key}": details.get(key) for key in ("gender", "birth", "address", "phone", "employer")},
        "interviewee_id": details.get("person_id"),
        **({"document_name": decision.title, "document_number": decision.number,
            "decision_number": decision.number} if decision else {}),
        **_author_facts(case, actor),
        "recorder": officers[1].name if len(officers) > 1 else None,
        "officer_count": len(officers) or None,
        "officer_names": "、".join(o.name for o in officers) or None,
        "cert_numbers": "、".join(o.cert_no for o in officers) or None,
        "party_info": "；".join(f"{p.name}（{p.get_id_type_display()} {p.id_number}，{p.address}）"
                               for p in parties) or None,
        "start_reason": case.start_reason,
        "case_source": case.get_source_display(),
        "basic_facts": case.summary or None,
        "complainant": case.complainant_name or None,
        "complainant_contact": case.complainant_contact or None,
        **{key: first_party for key in ("subject", "holder", "recipient", "applicant", "present_party")},
        "interviewee": details.get("person") or first_party,
    }


def _author_facts(case, actor):
    """The official fields the person writing the record stands in (法制审核人员, 起草人 …)."""
    if actor is None:
        return {}
    facts = {}
    if actor.role == Role.REVIEWER:
        facts.update(reviewer_name=actor.display_name, department_reviewer=actor.display_name)
    officer = next((a.officer for a in case.team() if a.officer.user_id == actor.pk), None)
    if officer is not None:
        facts["drafter"] = officer.name
    return facts


@transaction.atomic
def record_create(*, actor, case, doc_type_code, data=None, reason=None) -> Record:
    """Start a draft; fields the case already knows are filled in unless given."""
    spec = doc_type(doc_type_code)
    _check_writer(actor, case)
    known = {f.key for f in spec.fields}
    defaults = {f.key: f.default_for(case.matter_type) for f in spec.fields}
    prefill = {key: value for key, value in {**defaults, **case_facts(case, actor)}.items()
               if key in known and value is not None}
    data = spec.clean({**prefill, **(data or {})})
    record = Record(case=case, doc_type=spec.code, title=spec.title_for(data), stage=spec.stage, data=data,
                    created_by=actor)
    return _save(actor, record, "record.create", reason or spec.title)


@transaction.atomic
def record_update(*, actor, record, data, reason=None, base_revision=None) -> Record:
    """Replace a draft's content. A signature whose section (or an earlier one) changed stops
    counting; those of untouched sections stand. The signatures voided are returned on the
    record (`voided`) and named in the ledger, so that their signers can be told.
    `base_revision`: the version (draft_revision) the edits started from; when the draft has
    been saved differently since, nothing is saved and Conflict is raised (the server's
    version stands). The new version is returned on the record (`revision`)."""
    _check_writer(actor, record.case, record)
    record = Record.objects.select_for_update().get(pk=record.pk)
    _check_draft(record)
    if base_revision is not None and base_revision != draft_revision(record):
        raise Conflict(STALE_DRAFT, field="base_revision")
    standing = {s.pk for s in valid_signatures(record)}
    record.data = doc_type(record.doc_type).clean(data)
    record.title = doc_type(record.doc_type).title_for(record.data)
    record.voided = [s for s in voided_signatures(record) if s.pk in standing]
    if record.voided:
        names = "、".join(f"{s.signer_name}（{doc_type(record.doc_type).signer(s.slot).label}）" for s in record.voided)
        reason = f"{reason or ''}（所签内容已改动，以下签名失效须重新签署：{names}）".lstrip()
    record.revision = draft_revision(record)
    return _save(actor, record, "record.update", reason or "")


def _slot_refused(actor, record, what, message, request):
    """A signature by the wrong person is refused, and the refusal stays in the access log."""
    access_refused(actor=actor, case=record.case, what=what, message=message, request=request)
    raise NotAllowed(message)


def _official_signer(actor, record, spec, officer, signer_user, request):
    """(name, officer, user) of the official who signs this slot: the slot's own person, who
    is the signed-in user or proves himself on this device. Checks the person fits the slot."""
    case = record.case
    what = f"在《{record.title}》“{spec.label}”栏签名"
    if spec.kind == "officer":
        if officer is None:
            officer = getattr(actor, "officer", None)
        if officer is None or not case.assignments.filter(officer=officer).exists():
            raise InvalidInput(f"“{spec.label}”须由本案承办人签名，请选择签名的承办人", field=spec.slot)
        if problem := officer.qualification_problem(timezone.localdate()):
            raise InvalidInput(problem, field=spec.slot)
        user = officer.user
        if user is None:
            _slot_refused(actor, record, what, f"{officer.name}没有系统账户，不能签署“{spec.label}”栏", request)
        return officer.name, officer, user
    user = signer_user or actor
    if spec.kind in ("head", "reviewer") and (user.role != spec.kind or user.agency_id != case.agency_id):
        label = Role(spec.kind).label
        _slot_refused(actor, record, what, f"“{spec.label}”栏须由本机关{label}本人签署，{user.display_name}不能签署", request)
    if spec.kind == "department":
        handlers = set(case.assignments.values_list("officer__user_id", flat=True))
        if user.agency_id != case.agency_id or user.department_id != case.department_id or user.pk in handlers \
                or user.role not in (Role.OFFICER, Role.HEAD):
            _slot_refused(actor, record, what, f"“{spec.label}”栏须由承办部门的负责人（非本案承办人）本人签署，"
                          f"{user.display_name}不能签署", request)
    return user.display_name, None, user


def _signer_auth(actor, record, spec, name, user, password, otp, request):
    """How the system knows the official signing is who the slot names: he is signed in, or
    he proves it here (password / dynamic code). Anyone else is refused, and that is logged."""
    if user.pk == actor.pk:
        return SignAuth.SESSION
    if not (password or otp):
        _slot_refused(actor, record, f"在《{record.title}》“{spec.label}”栏签名",
                      f"这是{name}的签名：须由{name}本人签署。{actor.display_name}不能代签；如在本设备签名，"
                      f"请{name}本人输入密码确认身份", request)
    try:
        return SignAuth(identity_confirmed(user=user, password=password, otp=otp, request=request, name=name))
    except LawTrailError as exc:
        access_refused(actor=actor, case=record.case, what=f"{name}在《{record.title}》签名时确认身份",
                       message=exc.message, request=request)
        raise


def _check_capturer(actor, record, spec):
    """A party's or witness's signature is captured on the device of a signed-in handling
    officer, who is its witness of capture."""
    if not record.case.assignments.filter(officer__user=actor).exists():
        raise NotAllowed(f"“{spec.label}”的签名须在本案承办人登录的设备上采集，由承办人见证")


def _check_image(image, method):
    if method in IMAGE_REQUIRED and not image:
        raise InvalidInput(f"{SignMethod(method).label}须上传签名图像或签字页扫描件", field="image")
    if image and not bytes(image[:8]).startswith(IMAGE_MAGIC):
        raise InvalidInput("签名图像须为 PNG、JPEG 或 PDF 文件", field="image")


def _device_time(value):
    """The signing device's clock, as it said (kept beside the server's time), or None."""
    if value in (None, ""):
        return None
    try:  # parse_datetime raises on a well-formed but impossible time (month 13)
        parsed = value if isinstance(value, datetime.datetime) else parse_datetime(str(value).strip())
    except ValueError:
        parsed = None
    if parsed is None:
        raise InvalidInput("设备时间格式不正确，请核对手机的日期和时间后重新签名", field="device_time")
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)


def record_sign(*, actor, record, slot, method, signer_name="", officer=None, signer_user=None, password="",
                otp="", image=None, device_time=None, section_hash=None, request=None) -> Signature:
    """Record one signature, fingerprint or seal in a signer slot, made by the person it
    names (《电子签名法》第十三条): an official signs his own slot, signed in or proving himself
    on this device; a party or witness signs on a handling officer's device. The signature
    covers its section and everything before it, and keeps the hash of exactly that.
    `section_hash`: a signature captured offline, bound to its section as it was then; it is
    refused if the section has changed since."""
    _check_writer(actor, record.case, record)
    spec = doc_type(record.doc_type).signer(slot)
    if method not in SignMethod.values:
        raise InvalidInput(f"签署方式无效：{method}", field="method")
    _check_image(image, method)
    device_time = _device_time(device_time)
    if spec.official:
        name, officer, user = _official_signer(actor, record, spec, officer, signer_user, request)
        # Proving identity writes (a failed attempt counts toward the lockout and is logged),
        # so it runs before, not inside, the signature's transaction.
        auth = _signer_auth(actor, record, spec, name, user, password, otp, request)
    else:
        _check_capturer(actor, record, spec)
        name, officer, user, auth = (signer_name or "").strip(), None, None, SignAuth.CAPTURED
        if not name:
            raise InvalidInput(f"请填写“{spec.label}”的姓名", field=spec.slot)
    with transaction.atomic():
        record = Record.objects.select_for_update().select_related("case").get(pk=record.pk)
        _check_draft(record)
        covers = doc_type(record.doc_type).covers(slot)
        current = record_content_hash(record, covers)
        if section_hash is not None and section_hash != current:
            raise Conflict(f"{name}签名后，“{spec.label}”所签的内容已被修改，此签名未采用。"
                           f"请{name}看过现在的内容后重新签名")
        if record.signatures.filter(slot=slot, signer_name=name, content_hash=current).exists():
            raise Conflict(f"{name}已在“{spec.label}”栏签署")
        image_sha256 = blob_store().put(image)[0] if image else ""
        signature = Signature.objects.create(
            record=record, slot=slot, signer_name=name, officer=officer, user=user, method=method,
            image_sha256=image_sha256, content_hash=current, covers=list(covers), auth=auth, recorded_by=actor,
            device_time=device_time, signed_at=timezone.now(),
        )
        how = SignAuth(auth).label + ("" if auth == SignAuth.SESSION else f"，{actor.display_name}的设备")
        if section_hash is not None:
            how += f"，离线采集，设备时间 {timezone.localtime(device_time):%Y-%m-%d %H:%M:%S}" if device_time else "，离线采集"
        ledger_append(actor=actor, action="record.sign", obj=signature, scope=record.case.scope,
                      reason=f"{spec.label}：{name}（{SignMethod(method).label}；{how}）")
    return signature


def record_refuse(*, actor, record, slot, signer_name, reason, witness_name="", video_ref="",
                  device_time=None) -> Signature:
    """Record that a party refused to sign, with what the profile requires then; recorded by
    a handling officer, as a party's signature would be."""
    _check_writer(actor, record.case, record)
    with transaction.atomic():
        record = Record.objects.select_for_update().select_related("case__agency").get(pk=record.pk)
        _check_draft(record)
        spec = doc_type(record.doc_type).signer(slot)
        if not spec.may_refuse:
            raise InvalidInput(f"“{spec.label}”栏不适用拒签记录", field=slot)
        _check_capturer(actor, record, spec)
        name = (signer_name or "").strip()
        reason, witness_name, video_ref = (reason or "").strip(), (witness_name or "").strip(), (video_ref or "").strip()
        if not name:
            raise InvalidInput("请填写拒签人姓名", field="signer_name")
        if not reason:
            raise InvalidInput("请填写拒签理由", field="reason")
        profile = get_profile(record.case.agency.profile)
        if profile.get("signature.refusal.requires_witness_or_video") and not (witness_name or video_ref):
            raise InvalidInput(f"拒签须有其他在场人员签字证明或录像记录（{profile.cite('signature.refusal')}）",
                               field="witness_name")
        covers = doc_type(record.doc_type).covers(slot)
        signature = Signature.objects.create(
            record=record, slot=slot, signer_name=name, refused=True, refusal_reason=reason,
            witness_name=witness_name, video_ref=video_ref, content_hash=record_content_hash(record, covers),
            covers=list(covers), auth=SignAuth.CAPTURED, recorded_by=actor, device_time=_device_time(device_time),
            signed_at=timezone.now(),
        )
        ledger_append(actor=actor, action="record.refuse", obj=signature, scope=record.case.scope,
                      reason=f"{spec.label}：{name}拒绝签名，理由：{reason}")
    return signature


@transaction.atomic
def record_attach(*, actor, record, upload, description="") -> Attachment:
    """Keep a scan or photo with a record, byte-for-byte under its SHA-256. `upload` is an
    uploaded file (name, content_type, size, read) and is streamed into the store."""
    _check_writer(actor, record.case, record)
    record = Record.objects.select_for_update().select_related("case").get(pk=record.pk)
    _check_draft(record)
    if not upload.size:
        raise InvalidInput("附件为空", field="file")
    if upload.size > MAX_ATTACHMENT_BYTES:
        raise InvalidInput(f"附件不能超过 {MAX_ATTACHMENT_BYTES // 2**20} MB；录音录像请作为音像记录上传",
                           field="file")
    filename = clean_filename(upload.name, default="附件")[:200]
    sha256, size, _ = blob_store().put(upload)
    attachment = Attachment.objects.create(
        record=record, filename=filename, content_type=upload.content_type or "application/octet-stream",
        size=size, sha256=sha256, description=(description or "").strip()[:200], uploaded_by=actor,
    )
    ledger_append(actor=actor, action="record.attach", obj=attachment, scope=record.case.scope,
                  reason=f"{filename}（SHA-256 {sha256}）")
    return attachment


def finalise_problems(record):
    """Everything that keeps a record from being finalised, each naming what is missing and the
    article of the agency's regulation that asks for it."""
    spec = doc_type(record.doc_type)
    profile = get_profile(record.case.agency.profile)
    cites = "、".join(of_profile(spec.cite, profile.id))
    problems = [f"请填写“{f.label}”" + (f"（{cites}）" if cites else "") for f in spec.missing_fields(record.data)]
    # Items the regulation asks for only when something happened (an objection raised…):
    # the record says whether it happened, the profile what must then be filled in.
    for item in profile.data.get("record_conditions", {}).get("items", ()):
        if item["document"] == record.doc_type and all(record.data.get(k) == v for k, v in item["when"].items()):
            for key in item["require"]:
                value = record.data.get(key)
                rows = value if isinstance(value, list) else [[value]]
                if not rows or not all(str(cell or "").strip() for row in rows for cell in row):
                    problems.append(f"{item['what']}，请填写“{spec.field(key).label}”（{item['cite']}）")
    signatures = valid_signatures(record)
    for signer in spec.signers:
        given = {s.signer_name for s in signatures if s.slot == signer.slot}
        if len(given) < signer.min:
            missing = signer.min - len(given)
            problems.append(f"缺少“{signer.label}”签名" + (f"（还差 {missing} 人）" if signer.min > 1 else ""))
    if spec.service_method == "mail" and record.data.get("mail_method"):
        allowed = profile.get("service.mail_methods.allowed")
        if record.data["mail_method"] not in allowed:
            problems.append(f"邮寄送达只能采用{'或'.join(allowed)}（{profile.cite('service.mail_methods')}）")
    return problems


def document_number(record):
    """A document issued to the party gets a 文号: 机关代字 + 文书代字 + 〔year〕 + number, one
    gap-free series per 文书代字 (衡林罚决〔2026〕3号). An internal record (笔录, 审批表, 送达回证,
    清单) gets a 编号 within its case: the 案号 and its place in the case's series."""
    spec, case = doc_type(record.doc_type), record.case
    if not spec.issued:
        return f"{case.case_no}-{next_number(f'rec:{case.pk}'):02d}"
    year = timezone.localdate().year
    word = get_profile(case.agency.profile).get("numbering.document_codes").get(spec.code) or spec.code_word(record.data)
    seq = next_number(f"doc:{case.agency_id}:{word}:{year}")
    return f"{case.agency.case_prefix}{word}〔{year}〕{seq}号"


# 扫码验真: a code anyone holding the paper can type, and nobody can guess. 12 of the 32
# letters that are never misread (no 0/O, 1/I) are 60 bits.
VERIFY_CODE_LENGTH = 12


def new_verify_code():
    while True:
        code = "".join(secrets.choice(ENROLMENT_ALPHABET) for _ in range(VERIFY_CODE_LENGTH))
        if not Record.objects.filter(verify_code=code).exists():
            return code


@transaction.atomic
def record_finalise(*, actor, record) -> Record:
    """Make a complete, signed draft an original: number it, give it its verification code,
    render its PDF, lock it."""
    _check_writer(actor, record.case, record)
    lock_chain()
    record = Record.objects.select_for_update().select_related("case__agency").get(pk=record.pk)
    _check_draft(record)
    if problems := finalise_problems(record):
        raise InvalidInput(f"《{record.title}》不能定稿：" + "；".join(problems))
    record.number = record.previous.number if record.previous_id else document_number(record)
    record.finalised_at = timezone.now()
    record.finalised_by = actor
    record.verify_code = new_verify_code()  # printed in the PDF with its QR code
    pdf, seal_box = render_document(record)
    # The agency's seal over the whole PDF; a certificate that may not seal refuses here,
    # before anything is stored.
    sealed = seal_pdf(pdf, seal_box, agency=record.case.agency, reason=f"{record.title} {record.number}")
    record.pdf_sha256 = _seal_append(actor, record, sealed).pdf_sha256
    record.status = RecordStatus.FINAL
    return _save(actor, record, "record.finalise", f"{record.title} {record.number}")


def _seal_append(actor, record, sealed):
    seal = Seal.objects.create(
        record=record, pdf_sha256=blob_store().put(sealed.pdf)[0], level=sealed.level,
        certificate_sha256=sealed.certificate_sha256, certificate_subject=sealed.certificate_subject[:300],
        timestamp_at=sealed.timestamp_at, sealed_by=actor, sealed_at=timezone.now(),
    )
    ledger_append(actor=actor, action="record.seal", obj=seal, scope=record.case.scope,
                  reason=f"《{record.title}》{record.number} 加盖电子印章（{SealLevel(sealed.level).label}）")
    return seal


@transaction.atomic
def record_timestamp_add(*, record) -> Seal | None:
    """Complete a seal made while the TSA did not answer (时间戳待补): the sealed PDF with a
    document time-stamp appended, as a new Seal row. None when nothing is due; the TSA's
    error when it still does not answer."""
    record = Record.objects.select_for_update().select_related("case__agency").get(pk=record.pk)
    latest = record.seals.last()
    if latest is None or latest.level != SealLevel.B_B or not timestamp_configured():
        return None
    with blob_store().open(latest.pdf_sha256) as f:
        sealed = seal_timestamp_add(f.read(), agency=record.case.agency)
    return _seal_append(None, record, sealed)


@transaction.atomic
def record_correct(*, actor, record, reason) -> Record:
    """Start a correction: a new draft version of a finalised record, which stays readable."""
    _check_writer(actor, record.case, record)
    record = Record.objects.select_for_update().get(pk=record.pk)
    if not record.is_final:
        raise Conflict("只有已定稿的文书可以更正；草稿可直接修改")
    if Record.objects.filter(previous=record).exists():
        raise Conflict(f"《{record.title}》第 {record.version} 版已有更正版本")
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("请填写更正理由", field="reason")
    correction = Record(case=record.case, doc_type=record.doc_type, title=record.title, stage=record.stage,
                        version=record.version + 1, previous=record, correction_reason=reason,
                        data=record.data, created_by=actor)
    return _save(actor, correction, "record.correct", reason)


@transaction.atomic
def record_discard(*, actor, record, reason) -> Record:
    _check_writer(actor, record.case, record)
    record = Record.objects.select_for_update().get(pk=record.pk)
    _check_draft(record)
    if not (reason or "").strip():
        raise InvalidInput("请填写作废理由", field="reason")
    record.status = RecordStatus.DISCARDED
    return _save(actor, record, "record.discard", reason)


def attachment_downloaded(*, actor, attachment):
    """A download of an attachment is an access, and accesses are in the ledger."""
    record = attachment.record
    guarded(check_copy, actor=actor, case=record.case, what=f"下载附件 {attachment.filename}")
    with transaction.atomic():
        ledger_append(actor=actor, action="record.attachment_download", obj=attachment, scope=record.case.scope,
                      reason=f"下载《{record.title}》附件 {attachment.filename}")


def record_previewed(*, actor, record):
    """A draft printed for reading (预览打印) leaves the system as paper, as a download of a
    PDF does, and is in the ledger likewise; of a confidential case it needs the same copy
    right (a view grant lets one read a draft on the screen, not take it away on paper)."""
    guarded(check_copy, actor=actor, case=record.case, what="预览打印草稿")
    with transaction.atomic():
        ledger_append(actor=actor, action="record.preview", obj=record, scope=record.case.scope,
                      reason=f"预览打印《{record.title}》草稿")


def record_downloaded(*, actor, record):
    """A download of a record's PDF is an access, and accesses are in the ledger."""
    guarded(check_copy, actor=actor, case=record.case, what=f"下载《{record.title}》PDF")
    with transaction.atomic():
        ledger_append(actor=actor, action="record.download", obj=record, scope=record.case.scope,
                      reason=f"下载《{record.title}》{record.number} PDF")
