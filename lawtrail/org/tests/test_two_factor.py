"""Second-factor enrolment: only with a one-time code the admin issues (or the server's
console), and a reset is the admin's, with a reason; each is a ledger entry."""

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from lawtrail.cli import main
from lawtrail.core.errors import Conflict, InvalidInput, NotAllowed
from lawtrail.ledger.models import Entry
from lawtrail.org.enums import EnrolmentStatus, Role
from lawtrail.org.models import TwoFactorEnrolment
from lawtrail.org.services import (
    two_factor_begin, two_factor_confirm, two_factor_enrolment_check, two_factor_enrolment_issue, two_factor_reset,
    user_create,
)
from lawtrail.testing import PASSWORD, sign_in, totp_code, totp_device


@pytest.fixture
def admin(db):
    return user_create(actor=None, username="admin", password=PASSWORD, full_name="管理员", role=Role.ADMIN)


def test_only_the_admin_issues_enrolment_codes(org, admin):
    with pytest.raises(NotAllowed, match="系统管理员"):
        two_factor_enrolment_issue(actor=org.head, user=org.users[Role.SUPERVISOR])
    code = two_factor_enrolment_issue(actor=admin, user=org.head, reason="新任负责人")
    assert len(code) == 14 and code.count("-") == 2
    enrolment = TwoFactorEnrolment.objects.get()
    assert code.replace("-", "") not in enrolment.code_hash
    entry = Entry.objects.get(action="user.2fa_code")
    assert entry.actor_id == admin.pk and org.head.username in entry.reason and "新任负责人" in entry.reason


def test_an_enrolment_code_expires(org, settings):
    settings.LAWTRAIL_ENROLMENT_DAYS = 0
    code = two_factor_enrolment_issue(actor=None, user=org.head)
    with pytest.raises(InvalidInput, match="过期.*索取新的设置码"):
        two_factor_enrolment_check(actor=org.head, code=code)


def test_an_enrolment_code_is_used_once(org, admin):
    head = org.head
    code = two_factor_enrolment_issue(actor=admin, user=head)
    enrolment = two_factor_enrolment_check(actor=head, code=code)
    device = two_factor_begin(actor=head, enrolment=enrolment)
    two_factor_confirm(actor=head, enrolment=enrolment, device=device, token=totp_code(device))
    with pytest.raises(Conflict, match="已设置两步验证"):
        two_factor_enrolment_issue(actor=admin, user=head)
    two_factor_reset(actor=admin, user=head, reason="手机遗失")
    with pytest.raises(InvalidInput, match="已经使用过"):
        two_factor_enrolment_check(actor=head, code=code)


def test_a_code_voided_during_set_up_does_not_enrol(org, admin):
    head = org.head
    enrolment = two_factor_enrolment_check(actor=head, code=two_factor_enrolment_issue(actor=admin, user=head))
    device = two_factor_begin(actor=head, enrolment=enrolment)
    two_factor_reset(actor=admin, user=head, reason="设置码交错了人")
    with pytest.raises(InvalidInput):
        two_factor_confirm(actor=head, enrolment=enrolment, device=device, token=totp_code(device))
    assert not TOTPDevice.objects.filter(user=head, confirmed=True).exists()


def test_a_reset_is_the_admins_with_a_reason_and_ends_verified_sessions(org, admin):
    head = org.head
    totp_device(head)
    session = sign_in(Client(), head)
    assert session.get(reverse("web:case_list")).status_code == 200
    with pytest.raises(NotAllowed):
        two_factor_reset(actor=org.users[Role.SUPERVISOR], user=head, reason="越权")
    with pytest.raises(InvalidInput, match="重置理由"):
        two_factor_reset(actor=admin, user=head, reason=" ")
    two_factor_reset(actor=admin, user=head, reason="手机遗失")
    assert not TOTPDevice.objects.filter(user=head).exists()
    entry = Entry.objects.get(action="user.2fa_reset")
    assert entry.actor_id == admin.pk and entry.object_id == str(head.pk) and "手机遗失" in entry.reason
    # The session verified with the removed device is sent back to the second factor.
    assert session.get(reverse("web:case_list"))["Location"].startswith(reverse("web:two_factor"))
    with pytest.raises(InvalidInput, match="无需重置"):
        two_factor_reset(actor=admin, user=head, reason="再次")


def test_an_admin_does_not_reset_their_own_second_factor(admin):
    totp_device(admin)
    with pytest.raises(NotAllowed, match="另一位系统管理员"):
        two_factor_reset(actor=admin, user=admin, reason="换手机")


def test_the_console_issues_a_code_after_a_reset(org, capsys):
    """How the only admin, or one who lost their phone, gets a code."""
    head = org.head
    totp_device(head)
    assert main(["two-factor", head.username]) == 2
    assert "已设置两步验证" in capsys.readouterr().err
    assert main(["two-factor", head.username, "--reset", "手机遗失"]) == 0
    code = capsys.readouterr().out.strip()
    assert two_factor_enrolment_check(actor=head, code=code).status == EnrolmentStatus.ISSUED
    assert main(["two-factor", "nobody"]) == 2
