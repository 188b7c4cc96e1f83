"""The party's receipt (回执) after signing on the device: the document's title, its 文号 or
编号, who signed and when, and the 扫码验真 QR code, on a narrow page that a phone shows or
prints on a portable Bluetooth printer through the browser's print."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from lawtrail.ledger.access_log import access_logged
from lawtrail.records import selectors as record_selectors
from lawtrail.records.catalog import doc_type
from lawtrail.records.pdf import verification
from lawtrail.web.decorators import not_found_as_404
from lawtrail.web.views import _record


@login_required
@not_found_as_404
def record_receipt(request, pk, record_id):
    record = _record(request, pk, record_id)
    if not record.is_final:
        messages.error(request, "文书定稿后才能出具回执")
        return redirect("web:record_detail", pk=pk, record_id=record.pk)
    spec = doc_type(record.doc_type)
    access_logged(actor=request.user, action="record.view", obj=record, scope=record.case.scope,
                  what=f"出具《{record.title}》{record.number} 回执", request=request)
    check = verification(record)
    return render(request, "web/receipt.html", {
        "case": record.case, "record": record, "spec": spec, "agency": record.case.agency,
        "signatures": [s for s in record_selectors.valid_signatures(record) if not s.refused],
        "verification": check, "verify_page": check["url"].rsplit("/", 1)[0] + "/",
    })
