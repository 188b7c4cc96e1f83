"""The API's description (/api/docs, /api/openapi.json) maps every endpoint and field: in
production only signed-in users (session or token) see it; a development checkout keeps it
open for whoever runs it."""

from django.test import Client

from lawtrail.org.services import token_create

DOCS, SCHEMA = "/api/docs", "/api/openapi.json"


def test_outside_production_the_api_description_is_open(client, settings):
    settings.PRODUCTION = False
    assert client.get(SCHEMA).status_code == 200
    assert client.get(DOCS).status_code == 200


def test_in_production_the_api_description_needs_a_sign_in(client, settings, org):
    settings.PRODUCTION = True
    response = client.get(SCHEMA)
    assert response.status_code == 401 and "请先登录" in response.json()["detail"]
    response = client.get(DOCS, HTTP_ACCEPT="text/html,application/xhtml+xml")
    assert response.status_code == 302 and response["Location"] == "/login/?next=/api/docs"
    assert client.get(DOCS).status_code == 401  # not a browser: told, not sent to a form

    client.force_login(org.officer_users[0])
    assert client.get(DOCS).status_code == 200
    assert client.get(SCHEMA).json()["info"]["title"].startswith("LawTrail")

    token = token_create(actor=None, username=org.officer_users[1].username)
    assert Client().get(SCHEMA, HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
    assert Client().get(SCHEMA, HTTP_AUTHORIZATION="Bearer not-a-token").status_code == 401
