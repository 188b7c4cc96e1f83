"""Autosave (autosave.js) is the record form's own 保存草稿, answered in JSON."""

from lawtrail.ledger.models import Entry
from lawtrail.records.catalog import doc_type
from lawtrail.records.services import record_create, record_finalise
from lawtrail.testing import complete_data, sign_all
from lawtrail.web.tests.test_record_views import CODE, form_payload, record_url
from lawtrail.web.tests.test_views import client_for

JSON = {"HTTP_ACCEPT": "application/json"}


def test_it_saves_through_record_update_with_its_ledger_entry_and_leaves_no_message(org):
    record = record_create(actor=org.officer_users[0], case=org.open_case(), doc_type_code=CODE)
    client = client_for(org.officer_users[0])
    payload = {**form_payload(doc_type(CODE), record.data), "place": "某村林场", "autosave": "1"}
    response = client.post(record_url(record), payload, **JSON)
    assert response.status_code == 200 and response.json()["saved"]
    record.refresh_from_db()
    assert record.data["place"] == "某村林场"
    assert Entry.objects.filter(action="record.update", object_id=str(record.pk)).exists()
    assert "草稿已保存" not in client.get(record_url(record)).content.decode()  # an autosave says nothing later


def test_a_value_not_yet_valid_is_refused_at_its_field_and_nothing_is_saved(org):
    record = record_create(actor=org.officer_users[0], case=org.open_case(), doc_type_code=CODE)
    payload = {**form_payload(doc_type(CODE), record.data), "officer_count": "两人", "autosave": "1"}
    response = client_for(org.officer_users[0]).post(record_url(record), payload, **JSON)
    assert response.status_code == 422 and response.json()["field"] == "officer_count"
    record.refresh_from_db()
    assert record.data["officer_count"] == 2


def test_a_finalised_record_is_not_saved(org):
    spec = doc_type(CODE)
    record = record_create(actor=org.officer_users[0], case=org.open_case(), doc_type_code=CODE,
                           data=complete_data(spec))
    sign_all(org, record)
    final = record_finalise(actor=org.officer_users[0], record=record)
    response = client_for(org.officer_users[0]).post(record_url(final), {"place": "改"}, **JSON)
    assert response.status_code == 409 and response.json()["final"]


def test_a_signed_out_autosave_is_sent_to_sign_in_not_saved(org, client):
    record = record_create(actor=org.officer_users[0], case=org.open_case(), doc_type_code=CODE)
    response = client.post(record_url(record), {"place": "某村林场", "autosave": "1"}, **JSON)
    assert response.status_code == 302 and response["Location"].startswith("/login/")
