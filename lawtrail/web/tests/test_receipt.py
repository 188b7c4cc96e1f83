"""The party's receipt (回执) of a finalised record: its 文号 or 编号 and the 扫码验真 code."""

from django.urls import reverse

from lawtrail.ledger.models import Entry
from lawtrail.records.catalog import doc_type
from lawtrail.records.services import record_create, record_finalise
from lawtrail.testing import complete_data, sign_all
from lawtrail.web.tests.test_views import client_for

CODE = "inquiry_record"


def final_record(org):
    record = record_create(actor=org.officer_users[0], case=org.open_case(), doc_type_code=CODE,
                           data=complete_data(doc_type(CODE)))
    sign_all(org, record)
    return record_finalise(actor=org.officer_users[0], record=record)


def receipt_url(record):
    return reverse("web:record_receipt", kwargs={"pk": record.case_id, "record_id": record.pk})


def test_it_shows_the_number_and_the_verification_code_and_is_logged(org):
    record = final_record(org)
    page = client_for(org.officer_users[0]).get(receipt_url(record)).content.decode()
    code = record.verify_code
    assert record.number in page and "编号" in page
    assert "-".join(code[i:i + 4] for i in range(0, len(code), 4)) in page
    assert 'src="data:image/svg+xml' in page  # the QR code, drawn in the page: it prints offline too
    assert '<link rel="icon" href="/static/web/icon-192.png' in page  # the page's own, as every page
    assert Entry.objects.filter(action="record.view", reason__contains="回执").exists()


def test_a_draft_has_no_receipt(org):
    record = record_create(actor=org.officer_users[0], case=org.open_case(), doc_type_code=CODE)
    response = client_for(org.officer_users[0]).get(receipt_url(record), follow=True)
    assert "文书定稿后才能出具回执" in response.content.decode()


def test_another_agency_cannot_see_it(org, other_org):
    record = final_record(org)
    assert client_for(other_org.officer_users[0]).get(receipt_url(record)).status_code == 404
