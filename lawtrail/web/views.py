"""The Chinese web UI: thin views over the services and selectors."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from lawtrail.access.policy import case_for
from lawtrail.cases import selectors, workflow
from lawtrail.cases.enums import STAGE_ORDER, MatterType, Procedure, Source, Stage
from lawtrail.cases.services import case_open, case_transition
from lawtrail.core.errors import LawTrailError, NotFound
from lawtrail.ledger.selectors import latest_checkpoint
from lawtrail.ledger.services import ledger_checkpoint
from lawtrail.ledger.models import Checkpoint, Entry
from lawtrail.org.enums import Role
from lawtrail.org.models import Department
from lawtrail.rules.profiles import get_profile
from lawtrail.web.forms import CaseForm


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    redirect_authenticated_user = True


def not_found_as_404(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404(exc.message)

    return wrapper


@login_required
def home(request):
    user = request.user
    context = {"profile": get_profile(user.agency.profile) if user.agency_id else None}
    if user.role == Role.OFFICER:
        context["my_cases"] = selectors.my_open_cases(user)[:20]
    context["approvals"] = selectors.pending_approvals(user)[:20]
    cases = selectors.case_list(user)
    context["stage_counts"] = [(stage, cases.filter(stage=stage).count()) for stage in STAGE_ORDER]
    context["overdue"] = [c for c in cases.filter(emergency=True) if c.emergency_overdue]
    return render(request, "web/home.html", context)


@login_required
def case_list(request):
    params = {name: request.GET.get(name, "") for name in ("q", *selectors.FILTERS)}
    cases = selectors.case_list(request.user, **params)
    page = Paginator(cases, 25).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "web/case_list.html", {
        "page": page, "params": params, "query": query.urlencode(),
        "stages": Stage.choices, "matter_types": MatterType.choices, "sources": Source.choices,
        "procedures": Procedure.choices,
        "departments": Department.objects.filter(agency_id=request.user.agency_id),
    })


@login_required
@not_found_as_404
def case_detail(request, pk):
    case = case_for(request.user, pk)
    profile = get_profile(case.agency.profile)
    steps = selectors.available_transitions(case, request.user)
    reached = {t.to_stage: t for t in case.transitions.all()}
    timeline = []
    for stage in STAGE_ORDER:
        timeline.append({
            "stage": stage, "label": Stage(stage).label, "current": case.stage == stage,
            "done": STAGE_ORDER.index(stage) < STAGE_ORDER.index(case.stage) if case.stage in STAGE_ORDER else False,
            "at": reached.get(stage).at if stage in reached else (case.created_at if stage == Stage.INITIATION else None),
        })
    return render(request, "web/case_detail.html", {
        "case": case,
        "profile": profile,
        "emergency_cite": profile.cite("start.emergency"),
        "timeline": timeline,
        "steps": steps,
        "parties": case.parties.all(),
        "assignments": case.assignments.select_related("officer"),
        "transitions": case.transitions.select_related("actor"),
        "trail": selectors.case_trail(case),
    })


@login_required
@require_POST
@not_found_as_404
def case_step(request, pk, name):
    case = case_for(request.user, pk)
    transition = workflow.TRANSITIONS.get(name)
    data = {key: request.POST.get(key, "") for key, _ in (transition.fields if transition else ())}
    try:
        step = case_transition(actor=request.user, case=case, name=name, reason=request.POST.get("reason", ""),
                               data=data)
    except LawTrailError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已办理：{step.label}")
    return redirect("web:case_detail", pk=case.pk)


@login_required
def case_create(request):
    if request.user.role not in (Role.OFFICER, Role.HEAD):
        messages.error(request, "只有执法人员或负责人可以登记案件")
        return redirect("web:case_list")
    form = CaseForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            case = case_open(actor=request.user, department=form.cleaned_data["department"],
                             officers=form.officers(), parties=[form.party()], **form.case_fields())
        except LawTrailError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"案件已登记，案号 {case.case_no}")
            return redirect("web:case_detail", pk=case.pk)
    return render(request, "web/case_form.html", {"form": form})


@login_required
def ledger(request):
    return render(request, "web/ledger.html", {
        "checkpoints": Checkpoint.objects.order_by("-id")[:20],
        "latest": latest_checkpoint(),
        "entries": Entry.objects.count(),
        "can_sign": request.user.role in (Role.SUPERVISOR, Role.ADMIN),
    })


@login_required
@require_POST
def ledger_sign(request):
    if request.user.role not in (Role.SUPERVISOR, Role.ADMIN):
        messages.error(request, "只有法制监督人员或系统管理员可以签发检查点")
    else:
        try:
            cp = ledger_checkpoint()
        except LawTrailError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"已签发检查点：树大小 {cp.tree_size}")
    return redirect("web:ledger")
