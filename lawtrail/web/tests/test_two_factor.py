"""两步验证: heads, supervisors and admins need a TOTP code after their password; the first
time they enter the enrolment code the admin handed them, scan a QR code and confirm one code."""

import re
import time

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from lawtrail.ledger.models import Entry
from lawtrail.org.enums import EnrolmentStatus, Role
from lawtrail.org.models import TwoFactorEnrolment
from lawtrail.org.services import two_factor_enrolment_issue
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


def test_a_password_alone_cannot_enrol_an_authenticator(org):
    """The hole: whoever first signed in with a head's password set up the head's second
    factor. The QR code and key are now shown only after the admin's enrolment code."""
    client = password_login(org.head)
    response = client.get(reverse("web:two_factor"), follow=True)
    page = response.content.decode()
    assert "设置码" in page and "<svg" not in page and 'data-testid="secret"' not in page
    assert not TOTPDevice.objects.filter(user=org.head).exists()
    response = client.post(reverse("web:two_factor_setup"), {"token": "123456"})
    assert response.status_code == 422 and "设置码不正确" in response.content.decode()
    response = client.post(reverse("web:two_factor_setup"), {"code": "AAAA-BBBB-CCCC"})
    assert response.status_code == 422 and "<svg" not in response.content.decode()
    assert not TOTPDevice.objects.filter(user=org.head).exists()
    assert Entry.objects.filter(action="user.2fa_code_failed", object_id=str(org.head.pk)).count() == 2
    assert client.get(reverse("web:case_list")).status_code == 302


def test_the_first_sign_in_sets_up_the_authenticator_with_the_admins_code(org):
    head = org.head
    code = two_factor_enrolment_issue(actor=None, user=head)
    client = password_login(head)
    response = client.post(reverse("web:two_factor_setup"), {"code": code.lower().replace("-", " "), "next": "/cases/"})
    page = response.content.decode()
    assert response.status_code == 200 and "<svg" in page
    device = TOTPDevice.objects.get(user=head, confirmed=False)
    secret = re.search(r'data-testid="secret">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    assert secret and device.config_url.startswith("otpauth://totp/")
    assert "<svg" in client.get(reverse("web:two_factor_setup")).content.decode()  # a reload keeps the step
    response = client.post(reverse("web:two_factor_setup"), {"token": "000000", "next": "/cases/"})
    assert response.status_code == 422 and "动态验证码不正确" in response.content.decode()
    code_now = f"{totp(device.bin_key):06d}"
    response = client.post(reverse("web:two_factor_setup"), {"token": code_now, "next": "/cases/"})
    assert response.status_code == 422 and "次数过多" in response.content.decode()  # throttled after a miss
    time.sleep(1.1)  # django-otp's throttle: 1 s after the first miss, doubling after each
    response = client.post(reverse("web:two_factor_setup"), {"token": code_now, "next": "/cases/"})
    assert response.status_code == 302 and response["Location"] == "/cases/"
    assert client.get(reverse("web:case_list")).status_code == 200
    assert TOTPDevice.objects.get(user=head).confirmed
    enrolment = TwoFactorEnrolment.objects.get(user=head)
    assert enrolment.status == EnrolmentStatus.USED
    assert Entry.objects.filter(action="user.2fa_enrol", object_id=str(enrolment.pk), actor_id=head.pk).exists()


def test_an_enrolment_code_works_only_for_its_user_and_until_a_newer_one(org):
    head, supervisor = org.head, org.users[Role.SUPERVISOR]
    code = two_factor_enrolment_issue(actor=None, user=head)
    response = password_login(supervisor).post(reverse("web:two_factor_setup"), {"code": code})
    assert response.status_code == 422 and "设置码不正确" in response.content.decode()
    two_factor_enrolment_issue(actor=None, user=head)
    response = password_login(head).post(reverse("web:two_factor_setup"), {"code": code})
    assert response.status_code == 422 and "已作废" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=head).exists()


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


def test_the_admin_issues_a_code_on_the_page_and_resets_with_a_reason(org):
    from lawtrail.org.services import user_create
    from lawtrail.testing import sign_in

    admin = user_create(actor=None, username="admin", password=PASSWORD, full_name="管理员", role=Role.ADMIN)
    head = org.head
    client = sign_in(Client(), admin)
    page = client.get(reverse("web:two_factor_accounts")).content.decode()
    assert head.username in page and "未设置" in page
    response = client.post(reverse("web:two_factor_code_issue", args=[head.pk]))
    code = re.search(r'data-testid="code">([A-Z0-9-]+)<', response.content.decode()).group(1)
    setup = password_login(head)
    response = setup.post(reverse("web:two_factor_setup"), {"code": code})
    assert response.status_code == 200 and "<svg" in response.content.decode()
    device = TOTPDevice.objects.get(user=head, confirmed=False)
    assert setup.post(reverse("web:two_factor_setup"), {"token": totp_code(device)}).status_code == 302
    assert "已启用" in client.get(reverse("web:two_factor_accounts")).content.decode()

    response = client.post(reverse("web:two_factor_reset", args=[head.pk]), {"reason": ""}, follow=True)
    assert "请填写重置理由" in response.content.decode() and TOTPDevice.objects.filter(user=head).exists()
    response = client.post(reverse("web:two_factor_reset", args=[head.pk]), {"reason": "手机遗失"}, follow=True)
    assert "已重置" in response.content.decode() and not TOTPDevice.objects.filter(user=head).exists()
    assert setup.get(reverse("web:case_list"))["Location"].startswith(reverse("web:two_factor"))


def test_only_a_verified_admin_reaches_the_two_factor_management(org):
    from lawtrail.org.services import user_create
    from lawtrail.testing import sign_in

    head = org.head
    response = sign_in(Client(), head).get(reverse("web:two_factor_accounts"))
    assert response.status_code == 403 and "系统管理员" in response.content.decode()
    assert sign_in(Client(), head).post(reverse("web:two_factor_code_issue", args=[head.pk])).status_code == 403
    assert not TwoFactorEnrolment.objects.filter(status=EnrolmentStatus.ISSUED).exists()
    admin = user_create(actor=None, username="admin", password=PASSWORD, full_name="管理员", role=Role.ADMIN)
    response = password_login(admin).get(reverse("web:two_factor_accounts"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("web:two_factor"))
