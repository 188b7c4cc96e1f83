"""A property-based run of the whole API (schemathesis, from /api/openapi.json) with a Bearer
token, writes included: whatever arrives, the answer is never a server error."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from lawtrail.org.services import token_create
from lawtrail.testing import Org
from lawtrail.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)


@pytest.fixture
def keep_connection():
    # As Django's own test client does: requests inside a test must not close the test's
    # database connection (and with it the transaction that holds the test data).
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def bearer(db, keep_connection):
    # Once per operation (hypothesis then tries many requests against the same data).
    org = Org("fz", profile="004")
    org.open_case()
    return {"Authorization": f"Bearer {token_create(actor=None, username=org.head.username)}"}


@schema.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_request_makes_the_server_fail(case, bearer):
    response = case.call(headers=bearer)
    assert response.status_code < 500, (case.method, case.formatted_path, response.text[:300])
    # A token request reaches the endpoint: the session's CSRF check is not for it.
    assert b"CSRF" not in response.content, (case.method, case.formatted_path)


def test_a_nul_character_is_refused_with_a_message_everywhere(org):
    from django.test import Client

    from lawtrail.web.tests.test_views import client_for

    api = Client(HTTP_AUTHORIZATION=f"Bearer {token_create(actor=None, username=org.head.username)}")
    case = org.open_case()
    response = api.get("/api/cases", {"q": "a\x00b"})
    assert response.status_code == 422 and "空字符" in response.json()["detail"]
    response = api.post(f"/api/cases/{case.pk}/records", {"doc_type": "inquiry_record", "data": {"place": "x\x00"}},
                        content_type="application/json")
    assert response.status_code == 422 and "空字符" in response.json()["detail"]
    assert not case.records.exists()
    page = client_for(org.officer_users[0]).post(f"/cases/{case.pk}/records/new/", {"doc_type": "a\x00"})
    assert page.status_code == 400 and "空字符" in page.content.decode()


def test_half_a_surrogate_pair_in_json_is_refused_with_a_message_and_a_whole_pair_is_kept(org):
    """JSON can escape half of a UTF-16 pair ("\\ud800"), which no database can store: it
    gave a server error deep inside the write."""
    from django.test import Client

    api = Client(HTTP_AUTHORIZATION=f"Bearer {token_create(actor=None, username=org.head.username)}")
    case = org.open_case()
    url = f"/api/cases/{case.pk}/records"
    for place in ("x\\ud800y", "x\\udc00", "\\ud83d", "a\\udfff\\ud800"):
        body = '{"doc_type": "inquiry_record", "data": {"place": "%s"}}' % place
        response = api.post(url, body, content_type="application/json")
        assert response.status_code == 422 and "代理码位" in response.json()["detail"], place
    assert not case.records.exists()
    # A whole pair is a character like any other (😀), and an escaped backslash before
    # "ud800" is plain text.
    for place, kept in (("\\ud83d\\ude00", "😀"), ("\\\\ud800", "\\ud800")):
        body = '{"doc_type": "inquiry_record", "data": {"place": "%s"}}' % place
        response = api.post(url, body, content_type="application/json")
        assert response.status_code < 300, response.content
        assert case.records.order_by("-pk").first().data["place"] == kept
