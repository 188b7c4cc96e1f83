"""The REST API: authentication, agency isolation, the same services and their errors."""

import pytest

from lawtrail.cases.models import Case
from django.test import Client

from lawtrail.ledger.models import Entry
from lawtrail.ledger.services import ledger_checkpoint
from lawtrail.org.enums import Role
from lawtrail.org.services import token_create
from lawtrail.testing import person_party, sign_in


@pytest.fixture
def head_client(org):
    token = token_create(actor=None, username=org.head.username)
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def officer_client(org):
    return Client(HTTP_AUTHORIZATION=f"Bearer {token_create(actor=None, username=org.officer_users[0].username)}")


def test_openapi_document_is_published(db):
    response = Client().get("/api/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/cases" in paths and "/api/cases/{case_id}/transitions" in paths


def test_requests_without_credentials_are_refused_in_chinese(db):
    response = Client().get("/api/cases")
    assert response.status_code == 401
    assert response.json()["detail"] == "未登录或令牌无效"
    assert Client(HTTP_AUTHORIZATION="Bearer lt_forged").get("/api/cases").status_code == 401


def test_session_authentication_works_too(org):
    client = Client()
    sign_in(client, org.head)
    assert client.get("/api/me").json()["role"] == Role.HEAD


def test_lists_only_the_users_agency(org, other_org, head_client):
    mine = org.open_case()
    other_org.open_case()
    body = head_client.get("/api/cases").json()
    assert [c["case_no"] for c in body["items"]] == [mine.case_no]


def test_another_agencys_case_is_not_found_even_by_guessed_id(org, other_org, head_client):
    theirs = other_org.open_case()
    for url in (f"/api/cases/{theirs.pk}", f"/api/cases/{theirs.pk}/ledger", f"/api/cases/{theirs.pk}/transitions"):
        response = head_client.get(url)
        assert response.status_code == 404, url
        assert "不存在" in response.json()["detail"]
    response = head_client.post(f"/api/cases/{theirs.pk}/transitions", {"name": "approve_start", "reason": "x"},
                                content_type="application/json")
    assert response.status_code == 404


def test_an_officer_opens_a_case_and_the_head_approves_it(org, head_client):
    payload = {
        "department_id": org.department.pk, "title": "无证经营案", "matter_type": "penalty",
        "source": "ex_officio", "start_reason": "巡查发现", "officer_certs": [o.cert_no for o in org.officers[:2]],
        "parties": [person_party("赵六")],
    }
    response = officer_client(org).post("/api/cases", payload, content_type="application/json")
    assert response.status_code == 201, response.content
    case = response.json()
    assert case["stage"] == "initiation" and case["parties"][0]["name"] == "赵六"
    assert [o["role"] for o in case["officers"]] == ["lead", "assist"]

    response = head_client.post(f"/api/cases/{case['id']}/transitions",
                                {"name": "approve_start", "reason": "同意立案"}, content_type="application/json")
    assert response.status_code == 422 and "立案前须制作立案（程序启动）审批表" in response.json()["detail"]
    org.ready_for(Case.objects.get(pk=case["id"]), "approve_start")
    response = head_client.post(f"/api/cases/{case['id']}/transitions",
                                {"name": "approve_start", "reason": "同意立案"}, content_type="application/json")
    assert response.status_code == 201
    assert response.json()["to_stage"] == "investigation"
    trail = head_client.get(f"/api/cases/{case['id']}/ledger").json()
    assert [e["action"] for e in trail][-2:] == ["case.approve_start", "case.update"]


def test_service_errors_come_back_with_status_and_chinese_message(org, head_client):
    case = org.open_case()
    response = officer_client(org).post(f"/api/cases/{case.pk}/transitions",
                                        {"name": "approve_start", "reason": "我批准自己"},
                                        content_type="application/json")
    assert response.status_code == 403
    assert "须由负责人办理" in response.json()["detail"]
    response = head_client.post(f"/api/cases/{case.pk}/parties", {**person_party(), "id_number": "123"},
                                content_type="application/json")
    assert response.status_code == 422
    assert response.json() == {"detail": "居民身份证号码“123”无效，请核对", "field": "证件号码"}
    assert case.parties.count() == 1


def test_malformed_requests_get_a_clear_error(org, head_client):
    response = head_client.post("/api/cases", "{not json", content_type="application/json")
    assert response.status_code in (400, 422)
    assert "detail" in response.json()
    response = head_client.post("/api/cases", {"title": "缺字段"}, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["detail"] == "请求格式不正确"


def test_inclusion_proofs_are_scoped_like_their_case(org, other_org, head_client):
    mine, theirs = org.open_case(), other_org.open_case()
    ledger_checkpoint()
    my_entry = head_client.get(f"/api/cases/{mine.pk}/ledger").json()[0]["seq"]
    assert head_client.get(f"/api/ledger/proof/{my_entry}").status_code == 200
    their_entry = Entry.objects.filter(scope=theirs.scope).first().seq
    assert head_client.get(f"/api/ledger/proof/{their_entry}").status_code == 404
    assert head_client.get("/api/ledger/checkpoint").status_code == 200


def test_numbers_beyond_the_database_are_refused_with_a_message(org):
    from django.test import Client

    from lawtrail.org.services import token_create

    client = Client(HTTP_AUTHORIZATION=f"Bearer {token_create(actor=None, username=org.head.username)}")
    response = client.get("/api/cases", {"offset": 10**30, "limit": 10})
    assert response.status_code == 422 and response.json()["detail"] == "请求格式不正确"
    assert client.get(f"/api/cases/{10**30}").status_code in (404, 422)
