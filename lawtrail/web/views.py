"""The Chinese web UI: thin views over the services and selectors."""

import hashlib
import time
from dataclasses import replace
from functools import cached_property

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import prefetch_related_objects
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from lawtrail.access.policy import case_for, hidden_items, item_names, redact, redact_findings
from lawtrail.cases import selectors, workflow
from lawtrail.cases.selectors import party_details
from lawtrail.cases.enums import STAGE_ORDER, MatterType, Procedure, Source, Stage
from lawtrail.cases.services import case_open, case_transition
from lawtrail.core.errors import InvalidInput, LawTrailError
from lawtrail.ledger.access_log import access_logged
from lawtrail.ledger.labels import described
from lawtrail.ledger.selectors import entry_count, latest_checkpoint, recent_checkpoints
from lawtrail.ledger.cosignatures import witness_overview, with_cosignatures
from lawtrail.witness.tasks import checkpoint_now
from lawtrail.media.selectors import case_recordings, gap_explanations
from lawtrail.org.enums import Role, needs_two_factor
from lawtrail.org.selectors import departments_of
from lawtrail.records import selectors as record_selectors
from lawtrail.records import services as record_services
from lawtrail.records.api import attachment_response, decode_image, pdf_response
from lawtrail.records.catalog import catalog, doc_type
from lawtrail.records.models import SignMethod
from lawtrail.rules.engine import SEVERITY_LABELS, STATUS_LABELS, evaluate
from lawtrail.regulations.profiles import get_profile
from lawtrail.rules.selectors import finding_history, open_violations_in
from lawtrail.web.access_views import item_confidentiality_context
from lawtrail.web.audit_views import AUDITORS
from lawtrail.web.decorators import attempt, not_found_as_404
from lawtrail.web.forms import CaseForm
from lawtrail.web.media_views import media_context
from lawtrail.web.record_forms import (
    DOCUMENT_FIELDS, OFFICIAL_FIELDS, PARTY_FIELDS, RECORDING_FIELDS, RECORDING_LIST_FIELDS, REFUSAL_FIELDS, Pickers,
    RecordForm, SignForm, recording_choices,
)
from lawtrail.web.todo import tasks_counted

CHECKLIST_ORDER = {"violated": 0, "pending": 1, "satisfied": 2, "na": 3}


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    redirect_authenticated_user = True


OVERDUE_SHOWN = 20  # the home page lists the first; the heading gives how many in all


@login_required
def home(request):
    user = request.user
    context = {"profile": get_profile(user.agency.profile) if user.agency_id else None}
    if user.role == Role.OFFICER:
        context["my_cases"] = selectors.case_rows(selectors.my_open_cases(user))[:20]
    context["tasks"] = tasks_counted(user)
    cases = selectors.case_list(user)
    context["stage_counts"] = selectors.stage_counts(cases)
    overdue = selectors.overdue_emergency_starts(cases).select_related(None).only("case_no", "title", "approval_due_at")
    context["overdue"], context["overdue_count"] = selectors.shown_and_total(overdue, OVERDUE_SHOWN)
    if user.role in (Role.HEAD, Role.SUPERVISOR, Role.OFFICER):
        context["violations"] = redact_findings(user, open_violations_in(cases))
        context["severity_labels"] = SEVERITY_LABELS
    return render(request, "web/home.html", context)


class _CountOncePaginator(Paginator):
    """Counting 100,000 visible cases costs more than rendering a page of them: the total
    is kept for half a minute per user and filter. A newly opened case changes the key, so
    it is counted at once; a change of what the user may see (a grant, an assignment)
    shows in the rows at once and in the total within the half minute."""

    def __init__(self, object_list, per_page, key):
        super().__init__(object_list, per_page)
        self.key = key

    @cached_property
    def count(self):
        return cache.get_or_set(self.key, lambda: Paginator.count.func(self), timeout=30)


def _count_key(user, params):
    newest = selectors.newest_case(user)
    basis = repr((user.pk, user.date_joined, newest, sorted(params.items())))
    return "case-count:" + hashlib.sha256(basis.encode()).hexdigest()


@login_required
def case_list(request):
    params = {name: request.GET.get(name, "") for name in ("q", *selectors.FILTERS)}
    cases = selectors.case_rows(selectors.case_list(request.user, **params))
    page = _CountOncePaginator(cases, 25, _count_key(request.user, params)).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "web/case_list.html", {
        "page": page, "params": params, "query": query.urlencode(),
        "stages": Stage.choices, "matter_types": MatterType.choices, "sources": Source.choices,
        "procedures": Procedure.choices,
        "departments": departments_of(request.user),
    })


def _row_url(name, *args):
    """pk → the URL `name` gives for (*args, pk), reversed once for a whole table (Django's
    reverse costs some 40 µs a call; a case page has dozens of rows)."""
    sentinel = 987654321987654321  # an id the converter takes, found nowhere else in the URL
    head, tail = reverse(name, args=[*args, sentinel]).rsplit(str(sentinel), 1)
    return lambda pk: f"{head}{int(pk)}{tail}"


def _doc_type_groups():
    """The new-record form's document types by stage (the options a template fragment keeps)."""
    return [(Stage(stage).label, [t for t in catalog().values() if t.stage == stage])
            for stage in (Stage.INITIATION, Stage.INVESTIGATION, Stage.DECISION, Stage.EXECUTION)]


@login_required
@not_found_as_404
def case_detail(request, pk):
    case = case_for(request.user, pk)
    if request.method == "GET":
        access_logged(actor=request.user, action="case.view", obj=case, scope=case.scope,
                      what=f"查看案件 {case.case_no}", request=request)
    profile = get_profile(case.agency.profile)
    transitions = list(case.transitions.select_related("actor"))
    reached = {t.to_stage: t for t in transitions}
    timeline = []
    for stage in STAGE_ORDER:
        timeline.append({
            "stage": stage, "label": Stage(stage).label, "current": case.stage == stage,
            "done": STAGE_ORDER.index(stage) < STAGE_ORDER.index(case.stage) if case.stage in STAGE_ORDER else False,
            "at": reached.get(stage).at if stage in reached else (case.created_at if stage == Stage.INITIATION else None),
        })
    # Every recording (the checklist counts those the viewer may not see too) and the gap
    # explanations, loaded once for the recordings list, the coverage and the checklist.
    recordings = list(case.recordings.select_related("officer"))
    prefetch_related_objects([case], "parties")
    explanations = list(gap_explanations(case)) if recordings else []  # (each explains a gap between two)
    hidden = item_names(*hidden_items(case))
    checklist = [replace(f, result=replace(f.result, message=redact(f.result.message, hidden)))
                 for f in evaluate(case, recordings=recordings, explanations=explanations)]
    steps = selectors.available_transitions(case, request.user, findings=checklist)  # the gates read the checklist
    history = list(finding_history(case).order_by("-evaluated_at", "-id")[:50])
    for finding in history:
        finding.message = redact(finding.message, hidden)
    parties, team = list(case.parties.all()), case.team()
    records = list(record_selectors.record_rows(record_selectors.case_records(case)))
    for rows, name in ((records, "web:record_detail"), (recordings, "web:recording_detail")):
        url = _row_url(name, case.pk)
        for row in rows:
            row.url = url(row.pk)
    trail = described(selectors.case_trail(case, changes_only=True),
                      loaded=[case, *parties, *team, *recordings, *records])  # not read again to name them
    return render(request, "web/case_detail.html", {
        "case": case,
        "profile": profile,
        "emergency_cite": profile.cite("start.emergency"),
        "timeline": timeline,
        "steps": steps,
        "parties": parties,
        "assignments": team,
        "team_changes": selectors.team_changes(case, trail),
        "transitions": transitions,
        "trail": trail,
        "can_audit": request.user.role in AUDITORS,
        "records": records,
        "doc_types": _doc_type_groups,  # called only when the template's cached options are not
        **media_context(request, case, recordings, explanations),
        "checklist": sorted(checklist, key=lambda f: CHECKLIST_ORDER[f.status]),
        "finding_history": history,
        "status_labels": STATUS_LABELS,
        "severity_labels": SEVERITY_LABELS,
    })


@login_required
@require_POST
@not_found_as_404
def case_step(request, pk, name):
    case = case_for(request.user, pk)
    transition = workflow.TRANSITIONS.get(name)
    data = {key: request.POST.get(key, "") for key, _ in (transition.fields if transition else ())}
    attempt(request, lambda: case_transition(actor=request.user, case=case, name=name,
                                             reason=request.POST.get("reason", ""), data=data),
            lambda step: f"已办理：{step.label}")
    return redirect("web:case_detail", pk=case.pk)


@login_required
def case_create(request):
    if request.user.role not in (Role.OFFICER, Role.HEAD):
        messages.error(request, "只有执法人员或负责人可以登记案件")
        return redirect("web:case_list")
    form = CaseForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        case = attempt(request, lambda: case_open(
            actor=request.user, department=form.cleaned_data["department"], officers=form.officers(),
            parties=[form.party()], **form.case_fields()), lambda case: f"案件已登记，案号 {case.case_no}")
        if case is not None:
            return redirect("web:case_detail", pk=case.pk)
    return render(request, "web/case_form.html", {"form": form})


@login_required
def ledger(request):
    return render(request, "web/ledger.html", {
        "checkpoints": with_cosignatures(recent_checkpoints()),
        "latest": latest_checkpoint(),
        "witnesses": witness_overview(),
        "entries": entry_count(),
        "can_sign": request.user.role in (Role.SUPERVISOR, Role.ADMIN),
    })


@login_required
@require_POST
def ledger_sign(request):
    if request.user.role not in (Role.SUPERVISOR, Role.ADMIN):
        messages.error(request, "只有法制监督人员或系统管理员可以签发检查点")
    else:
        attempt(request, checkpoint_now, lambda cp: f"已签发检查点：树大小 {cp.tree_size}")
    return redirect("web:ledger")


# --- 执法文书 -----------------------------------------------------------------

def _record(request, pk, record_id):
    case = case_for(request.user, pk)
    record = record_selectors.record_for(case, record_id)
    record.case = case  # as its viewer sees it: what the pickers offer leaves out what he may not see
    return record


@login_required
@require_POST
@not_found_as_404
def record_create_view(request, pk):
    case = case_for(request.user, pk)
    record = attempt(request, lambda: record_services.record_create(actor=request.user, case=case,
                                                                    doc_type_code=request.POST.get("doc_type", "")))
    return redirect("web:record_detail", pk=pk, record_id=record.pk) if record else redirect("web:case_detail", pk=pk)


@login_required
@not_found_as_404
def record_detail(request, pk, record_id):
    record = _record(request, pk, record_id)
    if request.method == "GET":
        access_logged(actor=request.user, action="record.view", obj=record, scope=record.case.scope,
                      what=f"查看《{record.title}》{record.number}", request=request)
    spec = doc_type(record.doc_type)
    form = RecordForm(request.POST or None, doc_type=spec, record_data=record.data,
                      pickers=None if record.is_final else _pickers(record, spec))
    # autosave.js posts the same form for JSON; an autosave leaves no message for the next page.
    wants_json = request.headers.get("Accept") == "application/json"
    if request.method == "POST" and record.is_final and wants_json:
        return JsonResponse({"error": "文书已定稿，不能再修改", "final": True}, status=409)
    if request.method == "POST" and not record.is_final:
        # The version the page was loaded from: a save from an older one is refused (409), never
        # written over a colleague's. A client that sends none (an API PUT without it) is not checked.
        base = request.POST.get("base_revision") or None
        try:
            saved = record_services.record_update(actor=request.user, record=record, data=form.raw_data(),
                                                  base_revision=base)
        except LawTrailError as exc:
            stale = exc.field == "base_revision"
            if wants_json:
                answer = {"error": exc.message, "field": exc.field}
                if stale:
                    answer.update(conflict=True, revision=record_selectors.draft_revision(record))
                return JsonResponse(answer, status=exc.status)
            if stale:
                # The server's version in the form; what was sent is shown beside it, not lost.
                messages.error(request, exc.message)
                unsaved = _typed_text(spec, form.raw_data())
                form = RecordForm(doc_type=spec, record_data=record.data, pickers=_pickers(record, spec))
                return _record_page(request, record, spec, form, unsaved=unsaved, status=exc.status)
            if exc.field in form.fields:
                form.add_error(exc.field, exc.message)
            else:
                messages.error(request, exc.message)
        else:
            voided = "、".join(f"{s.signer_name}（{spec.signer(s.slot).label}）" for s in saved.voided)
            if not (wants_json and request.POST.get("autosave")):
                if voided:
                    messages.warning(request, f"草稿已保存。所签内容已改动，以下签名已失效，须本人重新签署：{voided}")
                else:
                    messages.success(request, "草稿已保存")
            if wants_json:
                return JsonResponse({"saved": True, "at": timezone.localtime().isoformat(), "voided": voided,
                                     "revision": saved.revision})
            return redirect("web:record_detail", pk=pk, record_id=record.pk)
    return _record_page(request, record, spec, form)


def _typed_text(spec, raw):
    """A refused save's content as the officer reads it, one "label：value" line a field."""
    lines = []
    for field in spec.fields:
        value = raw.get(field.key)
        if isinstance(value, list):
            text = "、".join(value)
        elif isinstance(value, bool):
            text = "是" if value else ""
        else:
            text = str(value or "").strip()
        if text:
            lines.append(f"{field.label}：{text}")
    return "\n".join(lines)


def _pickers(record, spec):
    """What the record's form may pick from, read through the access policy's selectors."""
    case, keys = record.case, {f.key for f in spec.fields}
    refusable = any(s.may_refuse for s in spec.signers)
    return Pickers(
        documents=record_selectors.served_documents(case) if keys & DOCUMENT_FIELDS.keys() else (),
        parties=[party_details(p) for p in case.parties.all()] if keys & PARTY_FIELDS.keys() else (),
        recordings=case_recordings(case) if refusable or keys & {*RECORDING_FIELDS, *RECORDING_LIST_FIELDS} else (),
        officials={key: [getattr(o, "name", None) or o.display_name for o in record_selectors.officials(case, kind)]
                   for key, kind in OFFICIAL_FIELDS.items() if key in keys})


def _shown_again(request, record, exc, **forms):
    """The record's page again after a refused signature or 拒签: the form as it was filled
    in, the error at its field; nothing the officer typed is lost."""
    spec = doc_type(record.doc_type)
    form = RecordForm(doc_type=spec, record_data=record.data, pickers=_pickers(record, spec))
    return _record_page(request, record, spec, form, status=exc.status, **forms)


def _record_page(request, record, spec, form, refusal=None, signing=None, unsaved="", status=200):
    """The record's page; `refusal` and `signing` are a slot's refused form to show again,
    `unsaved` the text of a save refused as made from an older version."""
    signatures = record_selectors.valid_signatures(record)
    voided = [] if record.is_final else record_selectors.voided_signatures(record)
    return render(request, "web/record.html", {
        "case": record.case,
        "record": record,
        **item_confidentiality_context(record.case, record=record),
        "spec": spec,
        "form": form,
        "values": [(f, f.as_text(record.data.get(f.key)), record.data.get(f.key)) for f in spec.fields],
        "slots": [(s, [sig for sig in signatures if sig.slot == s.slot], [sig for sig in voided if sig.slot == s.slot],
                   record_selectors.slot_signers(record.case, s) if s.official and not record.is_final else [],
                   [spec.field(key).label for key in s.fields])
                  for s in spec.signers],
        "attachment_hashes": ",".join(sorted(record.attachments.values_list("sha256", flat=True))),
        # When the server read the signatures shown (ms, its clock): a card for a signature sent
        # offline goes once a page read after its acceptance shows it (signqueue.js).
        "read_at_ms": int(time.time() * 1000),
        "me": request.user,
        "two_factor": needs_two_factor(request.user),
        "methods": SignMethod.choices,
        "problems": [] if record.is_final else record_services.finalise_problems(record),
        "seal": record_selectors.latest_seal(record) if record.is_final else None,
        "timestamp_pending": record.is_final and record_selectors.timestamp_pending(record),
        "versions": record_selectors.versions(record),
        "attachments": record.attachments.select_related("uploaded_by"),
        "refusal_cite": get_profile(record.case.agency.profile).cite("signature.refusal"),
        "needs_witness": get_profile(record.case.agency.profile).get("signature.refusal.requires_witness_or_video"),
        "recording_choices": recording_choices(form.picks.recordings) if not record.is_final else [],
        "refusal": refusal or {},
        "signing": signing or {},
        "revision": "" if record.is_final else record_selectors.draft_revision(record),
        "unsaved": unsaved,
    }, status=status)


def _signature_image(form):
    """The drawn signature (a data URL from the pad) or an uploaded scan, as bytes."""
    upload = form.cleaned_data.get("image_file")
    if upload:
        return upload.read()
    return decode_image(form.cleaned_data.get("image_data") or "")


@login_required
@require_POST
@not_found_as_404
def record_sign_view(request, pk, record_id, slot):
    record = _record(request, pk, record_id)
    form = SignForm(request.POST, request.FILES)

    def sign():
        if not form.is_valid():
            raise InvalidInput("签署信息不完整：" + "；".join(e for errors in form.errors.values() for e in errors))
        spec = doc_type(record.doc_type).signer(slot)
        data = form.cleaned_data
        chosen = record_selectors.slot_signer(record.case, spec, data.get("officer") or data.get("signer_user"))
        return record_services.record_sign(
            actor=request.user, record=record, slot=slot, method=data["method"],
            signer_name=data.get("signer_name", ""),
            officer=chosen if spec.kind == "officer" else None,
            signer_user=chosen if spec.kind != "officer" else None,
            password=data.get("password", ""), otp=data.get("otp", ""), device_time=data.get("device_time"),
            image=_signature_image(form), request=request)

    try:
        signature = sign()
    except LawTrailError as exc:
        # The password is never echoed; who signs, how, and the name typed are kept.
        values = {key: request.POST.get(key, "") for key in ("signer_name", "method", "officer", "signer_user")}
        return _shown_again(request, record, exc, signing={"slot": slot, "values": values, "message": exc.message})
    messages.success(request, f"{signature.signer_name}已签署")
    return redirect("web:record_detail", pk=pk, record_id=record.pk)


@login_required
@require_POST
@not_found_as_404
def record_refuse_view(request, pk, record_id, slot):
    record = _record(request, pk, record_id)
    values = {key: request.POST.get(key, "") for key in REFUSAL_FIELDS}
    try:
        record_services.record_refuse(actor=request.user, record=record, slot=slot,
                                      device_time=request.POST.get("device_time"), **values)
    except LawTrailError as exc:
        field = exc.field if exc.field in REFUSAL_FIELDS else ""
        return _shown_again(request, record, exc,
                            refusal={"slot": slot, "values": values, "field": field, "message": exc.message})
    messages.success(request, "已记录拒签")
    return redirect("web:record_detail", pk=pk, record_id=record.pk)


@login_required
@require_POST
@not_found_as_404
def record_finalise_view(request, pk, record_id):
    record = _record(request, pk, record_id)
    attempt(request, lambda: record_services.record_finalise(actor=request.user, record=record),
            lambda final: f"已定稿，{doc_type(final.doc_type).number_label} {final.number}")
    return redirect("web:record_detail", pk=pk, record_id=record.pk)


@login_required
@require_POST
@not_found_as_404
def record_correct_view(request, pk, record_id):
    record = _record(request, pk, record_id)
    correction = attempt(request, lambda: record_services.record_correct(
        actor=request.user, record=record, reason=request.POST.get("reason", "")),
        lambda correction: f"已创建第 {correction.version} 版更正草稿")
    return redirect("web:record_detail", pk=pk, record_id=(correction or record).pk)


@login_required
@not_found_as_404
def record_pdf(request, pk, record_id):
    record = _record(request, pk, record_id)
    try:
        return pdf_response(request.user, record)
    except LawTrailError as exc:
        messages.error(request, exc.message)
        return redirect("web:record_detail", pk=pk, record_id=record.pk)


@login_required
@require_POST
@not_found_as_404
def record_attach_view(request, pk, record_id):
    record = _record(request, pk, record_id)
    upload = request.FILES.get("file")

    def attach():
        if upload is None:
            raise InvalidInput("请选择要上传的文件")
        return record_services.record_attach(actor=request.user, record=record, upload=upload,
                                             description=request.POST.get("description", ""))

    attempt(request, attach, lambda attachment: f"已上传附件 {attachment.filename}")
    return redirect("web:record_detail", pk=pk, record_id=record.pk)


@login_required
@not_found_as_404
def record_attachment(request, pk, record_id, attachment_id):
    return attachment_response(request.user, _record(request, pk, record_id), attachment_id)
