"""Signatures captured offline (signqueue.js). On site without network the pad's drawing is
hashed at capture with the device's time and the section it covers as the form showed it,
kept in the browser and sent here once back online. What arrives must hash as it did at
capture, and the section must still be what the signer saw; otherwise it is refused, never
taken. Who may sign which slot is record_sign's rule, unchanged: nothing here relaxes it."""

import hashlib
import json

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse, QueryDict
from django.utils import timezone
from django.views.decorators.http import require_POST

from lawtrail.core.errors import Conflict, InvalidInput, LawTrailError, NotAllowed
from lawtrail.org.selectors import user_named
from lawtrail.records import selectors as record_selectors
from lawtrail.records import services as record_services
from lawtrail.records.api import decode_image
from lawtrail.records.catalog import doc_type
from lawtrail.web.decorators import not_found_as_404
from lawtrail.web.record_forms import RecordForm
from lawtrail.web.views import _record

CAPTURE_FIELDS = ("record", "slot", "signer_name", "officer", "method", "device_time", "captured_by", "image_sha256")
TEXT_FIELDS = (*CAPTURE_FIELDS, "section", "image_data", "capture_sha256")


def capture_digest(capture):
    """The SHA-256 signqueue.js computes at capture: the fields above, the section's SHA-256
    and the attachments' hashes, one per line."""
    section = hashlib.sha256(capture["section"].encode()).hexdigest()
    lines = ["lawtrail-signature-capture/1", *(str(capture.get(key) or "") for key in CAPTURE_FIELDS),
             section, ",".join(capture.get("attachments") or [])]
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def section_hash_at_capture(record, slot, capture):
    """The hash of the slot's section as the form on the phone showed it at capture: the whole
    form, cleaned as saving the draft would, with the attachments the page listed."""
    spec = doc_type(record.doc_type)
    try:
        pairs = json.loads(capture["section"])
        posted = QueryDict(mutable=True)
        for name, value in pairs:
            posted.appendlist(str(name), str(value))
    except (ValueError, TypeError):
        raise InvalidInput("离线签名所附的文书内容无法读取，未采用")
    data = spec.clean(RecordForm(posted, doc_type=spec).raw_data())
    return record_selectors.record_content_hash(record, spec.covers(slot), data=data,
                                                attached=sorted(capture.get("attachments") or []))


def _well_formed(capture):
    """What signqueue.js sends: text fields (the section always) and a list of hashes."""
    attachments = capture.get("attachments") if isinstance(capture, dict) else None
    return isinstance(capture, dict) and isinstance(capture.get("section"), str) \
        and all(isinstance(capture.get(key) or "", str) for key in TEXT_FIELDS) \
        and isinstance(attachments or [], list) and all(isinstance(h, str) for h in attachments or [])


def _who(user, username):
    """Who captured it, by the name colleagues know (an officer's as on his 执法证), never by
    the login name."""
    colleague = user_named(user, username) if username else None
    officer = getattr(colleague, "officer", None)
    name = officer.name if officer else colleague.full_name if colleague else ""
    return name if name and name != username else "另一位执法人员"


def _checked(request, record, slot, capture):
    """The signature image, once the capture proves unaltered and made by this officer."""
    captured_by = capture.get("captured_by") or ""
    if captured_by != request.user.username:
        raise NotAllowed(f"此签名是在{_who(request.user, captured_by)}登录时离线采集的，须由其本人登录后提交")
    if str(capture.get("record")) != str(record.pk) or capture.get("slot") != slot:
        raise InvalidInput("离线签名与本文书的签名栏不符，未采用")
    image = decode_image(capture.get("image_data") or "")
    if image is None or hashlib.sha256(image).hexdigest() != capture.get("image_sha256"):
        raise Conflict("签名图像与采集时计算的校验值不一致，可能已被改动，此签名未采用，请重新签名")
    if capture_digest(capture) != capture.get("capture_sha256"):
        raise Conflict("签名信息（姓名、时间或所签内容）与采集时计算的校验值不一致，可能已被改动，此签名未采用，请重新签名")
    return image


@login_required
@require_POST
@not_found_as_404
def record_sign_captured_view(request, pk, record_id, slot):
    record = _record(request, pk, record_id)
    try:
        capture = json.loads(request.body)
    except ValueError:
        capture = None
    if not _well_formed(capture):
        return JsonResponse({"error": "离线签名数据不完整，未采用"}, status=400)
    try:
        image = _checked(request, record, slot, capture)
        already = record.signatures.filter(slot=slot, image_sha256=capture["image_sha256"]).first()
        if already is not None and record_selectors.signature_counts(record, already):
            signature = already  # sent before, its answer lost on the way back (voided since: refused below)
        else:
            spec = doc_type(record.doc_type).signer(slot)
            chosen = record_selectors.slot_signer(record.case, spec, capture.get("officer")) if spec.official else None
            signature = record_services.record_sign(
                actor=request.user, record=record, slot=slot, method=capture.get("method") or "",
                signer_name=capture.get("signer_name") or "",
                officer=chosen if spec.kind == "officer" else None,
                signer_user=chosen if spec.official and spec.kind != "officer" else None,
                image=image, device_time=capture.get("device_time"),
                section_hash=section_hash_at_capture(record, slot, capture), request=request)
    except LawTrailError as exc:
        return JsonResponse({"error": exc.message}, status=exc.status)
    return JsonResponse({
        "ok": True, "signer_name": signature.signer_name, "method": signature.get_method_display(),
        "signed_at": timezone.localtime(signature.signed_at).strftime("%Y-%m-%d %H:%M"),
        "accepted_ms": int(signature.signed_at.timestamp() * 1000),  # the server's clock (signqueue.js)
        "device_time": timezone.localtime(signature.device_time).strftime("%Y-%m-%d %H:%M:%S")
        if signature.device_time else ""})
