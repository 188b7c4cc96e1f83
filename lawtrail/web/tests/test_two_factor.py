"""两步验证: heads, supervisors and admins need a TOTP code after their password; the first
time they set up an authenticator by scanning a QR code and confirming one code."""

import re
import time

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from lawtrail.ledger.models import Entry
from lawtrail.org.enums import Role
from lawtrail.testing import PASSWORD, totp_code, totp_device


def password_login(user):
    client = Client()
    response = client.post(reverse("web:login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return client


@pytest.mark.parametrize("role", [Role.HEAD, Role.SUPERVISOR])
def test_a_password_alone_does_not_let_a_head_or_supervisor_in(org, role):
    client = password_login(org.users[role])
    response = client.get(reverse("web:case_list"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("web:two_factor"))
    response = client.get("/api/cases")
    assert response.status_code == 401 and "两步验证" in response.json()["detail"]


def test_the_first_sign_in_sets_up_the_authenticator(org):
    head = org.head
    client = password_login(head)
    response = client.get(reverse("web:two_factor"), follow=True)
    page = response.content.decode()
    assert "设置两步验证" in page and "<svg" in page
    device = TOTPDevice.objects.get(user=head, confirmed=False)
    secret = re.search(r'data-testid="secret">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    assert secret and device.config_url.startswith("otpauth://totp/")
    response = client.post(reverse("web:two_factor_setup"), {"token": "000000", "next": "/cases/"})
    assert response.status_code == 422 and "动态验证码不正确" in response.content.decode()
    code = f"{totp(device.bin_key):06d}"
    response = client.post(reverse("web:two_factor_setup"), {"token": code, "next": "/cases/"})
    assert response.status_code == 422 and "次数过多" in response.content.decode()  # throttled after a miss
    time.sleep(1.1)  # django-otp's throttle: 1 s after the first miss, doubling after each
    response = client.post(reverse("web:two_factor_setup"), {"token": code, "next": "/cases/"})
    assert response.status_code == 302 and response["Location"] == "/cases/"
    assert client.get(reverse("web:case_list")).status_code == 200
    assert TOTPDevice.objects.get(user=head).confirmed
    assert Entry.objects.filter(action="user.2fa_enrol", object_id=str(head.pk)).exists()


def test_later_sign_ins_ask_for_the_code_and_record_failures(org):
    supervisor = org.users[Role.SUPERVISOR]
    device = totp_device(supervisor)
    client = password_login(supervisor)
    response = client.post(reverse("web:two_factor"), {"token": "123456"})
    assert response.status_code == 422 and "动态验证码不正确" in response.content.decode()
    assert Entry.objects.filter(action="user.2fa_failed", object_id=str(supervisor.pk)).exists()
    time.sleep(1.1)  # the throttle after a wrong code
    response = client.post(reverse("web:two_factor"), {"token": totp_code(device), "next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == "/"  # no open redirect
    assert client.get(reverse("web:audit")).status_code == 200
    assert Entry.objects.filter(action="user.2fa", object_id=str(supervisor.pk)).exists()


def test_officers_archivists_and_reviewers_sign_in_with_a_password(org):
    for user in (org.officer_users[0], org.users[Role.ARCHIVIST], org.users[Role.REVIEWER]):
        client = password_login(user)
        assert client.get(reverse("web:case_list")).status_code == 200


def test_api_tokens_are_not_second_factor_sessions(org):
    from lawtrail.org.services import token_create

    token = token_create(actor=None, username=org.head.username)
    response = Client(HTTP_AUTHORIZATION=f"Bearer {token}").get("/api/cases")
    assert response.status_code == 200
