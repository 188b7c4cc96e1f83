"""Autosave (autosave.js) is the record form's own 保存草稿, answered in JSON."""

from lawtrail.ledger.models import Entry
from lawtrail.records.catalog import doc_type
from lawtrail.records.selectors import draft_revision
from lawtrail.records.services import record_create, record_finalise, record_update
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


def test_a_save_from_an_older_version_is_refused_and_the_first_save_stands(org):
    """Two pages loaded from the same version: the first save wins; the second, made without
    seeing it (a phone offline meanwhile), is refused with 409 and overwrites nothing."""
    record = record_create(actor=org.officer_users[0], case=org.open_case(), doc_type_code=CODE)
    page = client_for(org.officer_users[0]).get(record_url(record)).content.decode()
    base = draft_revision(record)
    assert f'name="base_revision" value="{base}"' in page
    payload = form_payload(doc_type(CODE), record.data)
    first = client_for(org.officer_users[1]).post(
        record_url(record), {**payload, "content": "同事在电脑上写的", "base_revision": base, "autosave": "1"}, **JSON)
    assert first.status_code == 200
    record.refresh_from_db()
    assert first.json()["revision"] == draft_revision(record) != base
    second = client_for(org.officer_users[0]).post(
        record_url(record), {**payload, "content": "本机写的", "base_revision": base, "autosave": "1"}, **JSON)
    assert second.status_code == 409
    answer = second.json()
    assert answer["conflict"] and "服务器上的草稿已被修改" in answer["error"]
    assert answer["revision"] == draft_revision(record)
    record.refresh_from_db()
    assert record.data["content"] == "同事在电脑上写的"
    assert Entry.objects.filter(action="record.update", object_id=str(record.pk)).count() == 1


def test_each_save_returns_the_version_the_next_save_continues_from(org):
    record = record_create(actor=org.officer_users[0], case=org.open_case(), doc_type_code=CODE)
    client, payload = client_for(org.officer_users[0]), form_payload(doc_type(CODE), record.data)
    revision = draft_revision(record)
    for words in ("问：姓名？", "问：姓名？答：王某。"):
        response = client.post(record_url(record), {**payload, "content": words, "base_revision": revision,
                                                    "autosave": "1"}, **JSON)
        assert response.status_code == 200
        revision = response.json()["revision"]
    record.refresh_from_db()
    assert record.data["content"] == "问：姓名？答：王某。" and revision == draft_revision(record)


def test_the_button_from_an_older_version_shows_the_servers_draft_and_the_text_sent_beside(org):
    record = record_create(actor=org.officer_users[0], case=org.open_case(), doc_type_code=CODE)
    base, payload = draft_revision(record), form_payload(doc_type(CODE), record.data)
    record_update(actor=org.officer_users[1], record=record, data={**record.data, "content": "同事在电脑上写的"})
    response = client_for(org.officer_users[0]).post(
        record_url(record), {**payload, "content": "本机写的", "base_revision": base, "save": ""})
    assert response.status_code == 409
    page = response.content.decode()
    assert "服务器上的草稿已被修改" in page
    assert "同事在电脑上写的</textarea>" in page  # the form: the server's version
    assert "本机写的" in page  # beside it: what was sent, not lost
    record.refresh_from_db()
    assert record.data["content"] == "同事在电脑上写的"
    assert f'name="base_revision" value="{draft_revision(record)}"' in page  # a save from here continues it
