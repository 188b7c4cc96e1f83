"""Printing on paper: a draft marked 草稿 for the party to read before signing, and blank
forms of every document type for field work."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render

from lawtrail.cases.enums import Stage
from lawtrail.core.errors import LawTrailError
from lawtrail.records.api import blank_response, preview_response
from lawtrail.records.catalog import catalog
from lawtrail.web.decorators import not_found_as_404
from lawtrail.web.views import _record


@login_required
@not_found_as_404
def record_preview(request, pk, record_id):
    """Read access as on the record page; a finalised record has its sealed PDF instead."""
    record = _record(request, pk, record_id)
    if record.is_final:
        return redirect("web:record_pdf", pk=pk, record_id=record.pk)
    try:
        return preview_response(request.user, record)
    except LawTrailError as exc:  # a confidential case's draft without the copy right
        messages.error(request, exc.message)
        return redirect("web:record_detail", pk=pk, record_id=record.pk)


@login_required
def blank_forms(request):
    # A type whose title names what was decided is listed once per kind (行政处罚决定书 …).
    forms = [(spec, kind, spec.title_for({spec.title_field: kind}))
             for spec in catalog().values()
             for kind in (spec.field(spec.title_field).options if spec.title_field else ("",))]
    stages = [(stage, [form for form in forms if form[0].stage == stage])
              for stage in (Stage.INITIATION, Stage.INVESTIGATION, Stage.DECISION, Stage.EXECUTION)]
    return render(request, "web/blank_forms.html", {"stages": [(s.label, specs) for s, specs in stages if specs]})


@login_required
@not_found_as_404
def blank_form(request, code):
    if code not in catalog():
        raise Http404("没有这种文书")
    return blank_response(code, request.user.agency, request.GET.get("kind", ""))
