"""The API 令牌 page: make a token (shown once), list and revoke; the admin sees everyone's."""

import re

from django.test import Client
from django.urls import reverse

from lawtrail.org.enums import Role
from lawtrail.org.models import ApiToken
from lawtrail.org.services import token_create, user_create
from lawtrail.testing import PASSWORD, sign_in, totp_code, totp_device


def made_token(response):
    return re.search(r'data-testid="token">(lt_[\w-]+)<', response.content.decode()).group(1)


def test_an_officer_makes_a_token_on_the_page_and_revokes_it(org):
    officer = org.officer_users[0]
    client = sign_in(Client(), officer)
    response = client.post(reverse("web:tokens"), {"label": "采集站"})
    token = made_token(response)
    assert Client(HTTP_AUTHORIZATION=f"Bearer {token}").get("/api/me").status_code == 200
    page = client.get(reverse("web:tokens")).content.decode()
    assert "采集站" in page and token not in page  # shown once
    record = ApiToken.objects.get()
    response = client.post(reverse("web:token_revoke", args=[record.pk]), {"reason": ""}, follow=True)
    assert "已吊销" in response.content.decode()
    assert Client(HTTP_AUTHORIZATION=f"Bearer {token}").get("/api/me").status_code == 401


def test_a_head_makes_a_token_on_the_page_with_a_current_code(org):
    head = org.head
    device = totp_device(head)
    client = sign_in(Client(), head)
    assert 'name="otp"' in client.get(reverse("web:tokens")).content.decode()
    response = client.post(reverse("web:tokens"), {"label": "对接"})
    assert response.status_code == 422 and "动态验证码" in response.content.decode()
    response = client.post(reverse("web:tokens"), {"label": "对接", "otp": totp_code(device)})
    assert response.status_code == 200 and made_token(response)


def test_the_admin_revokes_another_users_token_with_a_reason_and_others_cannot(org):
    token_create(actor=None, username=org.officer_users[0].username, label="旧脚本")
    record = ApiToken.objects.get()
    other = sign_in(Client(), org.officer_users[1])
    assert "旧脚本" not in other.get(reverse("web:tokens")).content.decode()
    assert other.post(reverse("web:token_revoke", args=[record.pk]), {"reason": "x"}).status_code == 404
    admin = user_create(actor=None, username="admin", password=PASSWORD, full_name="管理员", role=Role.ADMIN)
    client = sign_in(Client(), admin)
    assert "旧脚本" in client.get(reverse("web:tokens")).content.decode()
    response = client.post(reverse("web:token_revoke", args=[record.pk]), {"reason": ""}, follow=True)
    assert "请填写吊销理由" in response.content.decode() and not record.revoked
    client.post(reverse("web:token_revoke", args=[record.pk]), {"reason": "人员调离"})
    record.refresh_from_db()
    assert record.revocation.reason == "人员调离" and record.revocation.revoked_by == admin
