"""API tokens: a token request writes without a CSRF token (a session request still needs
one), tokens expire and can be revoked by their owner or the admin, and a token for a head,
supervisor or admin is made only with that user's second factor."""

import datetime

import pytest
from django.test import Client

from lawtrail.cli import main
from lawtrail.core.errors import InvalidInput, NotAllowed, NotFound
from lawtrail.ledger.models import Entry
from lawtrail.org.enums import Role
from lawtrail.org.models import ApiToken
from lawtrail.org.services import token_create, token_revoke, user_create
from lawtrail.testing import PASSWORD, person_party, sign_in, totp_code, totp_device


def bearer(token, **kwargs):
    # enforce_csrf_checks: Django's test client skips the CSRF check unless asked, which
    # is how the hole went unnoticed.
    return Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Bearer {token}", **kwargs)


def add_party(client, case):
    return client.post(f"/api/cases/{case.pk}/parties", person_party("赵六"), content_type="application/json")


@pytest.fixture
def admin(db):
    return user_create(actor=None, username="admin", password=PASSWORD, full_name="管理员", role=Role.ADMIN)


def test_a_token_request_writes_without_a_csrf_token(org):
    case = org.open_case()
    response = add_party(bearer(token_create(actor=None, username=org.officer_users[0].username)), case)
    assert response.status_code == 201, response.content
    assert case.parties.count() == 2


def test_a_session_write_still_needs_its_csrf_token(org):
    case = org.open_case()
    client = sign_in(Client(enforce_csrf_checks=True), org.officer_users[0])
    response = add_party(client, case)
    assert response.status_code == 403 and case.parties.count() == 1
    client.get("/")  # the page sets the CSRF cookie a browser's script sends back
    response = client.post(f"/api/cases/{case.pk}/parties", person_party("赵六"), content_type="application/json",
                           HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value)
    assert response.status_code == 201 and case.parties.count() == 2


def test_a_token_expires_after_the_configured_days(org, settings):
    token = token_create(actor=None, username=org.officer_users[0].username)
    record = ApiToken.objects.get()
    assert record.expires_at == record.created_at + datetime.timedelta(days=90)
    assert bearer(token).get("/api/me").status_code == 200
    settings.LAWTRAIL_TOKEN_DAYS = 0
    response = bearer(token).post(f"/api/cases/{org.open_case().pk}/parties", person_party(),
                                  content_type="application/json")
    assert response.status_code == 401 and "过期" in response.json()["detail"] and "重新签发" in response.json()["detail"]


def test_an_unknown_token_is_refused_with_a_message(db):
    response = bearer("lt_forged").post("/api/cases", {}, content_type="application/json")
    assert response.status_code == 401 and "令牌无效" in response.json()["detail"]


def test_the_owner_lists_and_revokes_their_token(org):
    officer, other = org.officer_users[0], org.officer_users[1]
    token = token_create(actor=None, username=officer.username, label="采集站")
    token_create(actor=None, username=other.username)
    api = bearer(token)
    [listed] = api.get("/api/tokens").json()
    assert listed["label"] == "采集站" and listed["status"] == "有效" and listed["user"] == officer.username
    theirs = ApiToken.objects.get(user=other)
    assert api.post(f"/api/tokens/{theirs.pk}/revoke", {}, content_type="application/json").status_code == 404
    response = api.post(f"/api/tokens/{listed['id']}/revoke", {}, content_type="application/json")
    assert response.status_code == 200 and response.json()["status"] == "已吊销"
    response = api.get("/api/me")
    assert response.status_code == 401 and "吊销" in response.json()["detail"]
    assert Entry.objects.filter(action="token.revoke", actor_id=officer.pk).exists()


def test_the_admin_lists_everyones_tokens_and_revokes_with_a_reason(org, admin):
    token_create(actor=None, username=org.officer_users[0].username)
    officers_token = ApiToken.objects.get()
    client = sign_in(Client(), admin)
    assert [t["user"] for t in client.get("/api/tokens").json()] == [org.officer_users[0].username]
    url = f"/api/tokens/{officers_token.pk}/revoke"
    response = client.post(url, {}, content_type="application/json")
    assert response.status_code == 422 and "吊销理由" in response.json()["detail"]
    response = client.post(url, {"reason": "人员调离"}, content_type="application/json")
    assert response.status_code == 200 and response.json()["revoke_reason"] == "人员调离"
    assert response.json()["revoked_by"] == admin.username
    assert client.post(url, {"reason": "再次"}, content_type="application/json").status_code == 409
    entry = Entry.objects.get(action="token.revoke")
    assert entry.actor_id == admin.pk and "人员调离" in entry.reason


def test_an_officer_makes_a_token_without_a_second_factor(org):
    client = sign_in(Client(), org.officer_users[0])
    response = client.post("/api/tokens", {"label": "脚本"}, content_type="application/json")
    assert response.status_code == 201
    assert bearer(response.json()["token"]).get("/api/me").json()["username"] == org.officer_users[0].username


@pytest.mark.parametrize("role", [Role.HEAD, Role.SUPERVISOR])
def test_a_head_or_supervisor_makes_a_token_only_with_their_current_code(org, role):
    user = org.users[role]
    device = totp_device(user)
    client = sign_in(Client(), user)
    response = client.post("/api/tokens", {"label": "对接"}, content_type="application/json")
    assert response.status_code == 422 and "动态验证码" in response.json()["detail"]
    response = client.post("/api/tokens", {"label": "对接", "otp": "000000"}, content_type="application/json")
    assert response.status_code == 422 and "动态验证码不正确" in response.json()["detail"]
    assert not ApiToken.objects.exists()
    assert Entry.objects.filter(action="user.2fa_failed", actor_id=user.pk).exists()
    device.refresh_from_db()
    device.throttle_reset()
    response = client.post("/api/tokens", {"label": "对接", "otp": totp_code(device)}, content_type="application/json")
    assert response.status_code == 201, response.content
    assert bearer(response.json()["token"]).get("/api/me").json()["username"] == user.username


def test_a_token_for_someone_else_is_the_admins_and_needs_that_users_code(org, admin):
    head, officer = org.head, org.officer_users[0]
    with pytest.raises(NotAllowed):
        token_create(actor=officer, username=org.officer_users[1].username)
    with pytest.raises(InvalidInput, match="尚未设置两步验证"):
        token_create(actor=admin, username=head.username)
    device = totp_device(head)
    with pytest.raises(InvalidInput, match="动态验证码"):
        token_create(actor=admin, username=head.username)
    assert token_create(actor=admin, username=head.username, code=totp_code(device))
    assert token_create(actor=admin, username=officer.username)


def test_the_console_makes_a_token_for_a_head_without_a_code(org, capsys):
    """`lawtrail token` runs on the server, whose operator holds the database and keys."""
    assert main(["token", org.head.username]) == 0
    assert bearer(capsys.readouterr().out.strip()).get("/api/me").status_code == 200
    assert "服务器命令行" in Entry.objects.get(action="token.create").reason


def test_revoking_is_refused_to_anyone_but_the_owner_and_the_admin(org):
    token_create(actor=None, username=org.officer_users[0].username)
    with pytest.raises(NotFound):
        token_revoke(actor=org.head, token=ApiToken.objects.get(), reason="越权")
