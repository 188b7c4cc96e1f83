"""Security state is in the ledger (hashes, never secrets): role and password changes,
authenticators, API tokens; a direct edit of those tables is named by `lawtrail verify`."""

import pytest

from lawtrail.archive.integrity import verify_ledger
from lawtrail.core.errors import NotAllowed
from lawtrail.ledger.models import Entry
from lawtrail.org.enums import Role
from lawtrail.org.models import ApiToken, User
from lawtrail.org.services import token_create, token_revoke, two_factor_reset, user_password_change, user_role_change
from lawtrail.testing import PASSWORD, behind_the_ledger, totp_device


def named(ref_prefix):
    return [p for p in verify_ledger().problems if p.kind == "object" and p.ref.startswith(ref_prefix)]


def test_a_role_change_is_an_entry_and_verifies(org):
    officer = org.officer_users[0]
    user_role_change(actor=None, user=officer, role=Role.REVIEWER, reason="岗位调整")
    entry = Entry.objects.filter(action="user.role").get()
    assert entry.object_id == str(officer.pk) and "岗位调整" in entry.reason
    assert verify_ledger().ok


def test_only_the_admin_changes_roles(org):
    with pytest.raises(NotAllowed):
        user_role_change(actor=org.head, user=org.officer_users[0], role=Role.HEAD, reason="自己提拔")


def test_a_password_change_is_an_entry_without_the_password(org):
    officer = org.officer_users[0]
    user_password_change(actor=officer, user=officer, password="新的密码-2026")
    entry = Entry.objects.filter(action="user.password").get()
    assert "新的密码" not in entry.reason and officer.password not in entry.reason
    assert verify_ledger().ok


def test_a_password_hash_edited_in_the_database_is_named(org):
    officer = org.officer_users[0]
    other = User.objects.exclude(pk=officer.pk).first()
    behind_the_ledger("UPDATE org_user SET password = %s WHERE id = %s", [other.password, officer.pk], tables=())
    assert named(f"org.user:{officer.pk}")


def test_a_role_edited_in_the_database_is_named(org):
    officer = org.officer_users[0]
    behind_the_ledger("UPDATE org_user SET role = %s WHERE id = %s", [Role.ADMIN, officer.pk], tables=())
    assert named(f"org.user:{officer.pk}")


def test_an_api_token_hash_edited_in_the_database_is_named(org):
    token_create(actor=None, username=org.officer_users[0].username)
    token = ApiToken.objects.get()
    behind_the_ledger("UPDATE org_apitoken SET token_hash = %s WHERE id = %s", ["0" * 64, token.pk], tables=())
    assert named(f"org.apitoken:{token.pk}")


def test_token_creation_and_revocation_are_entries(org):
    token_create(actor=None, username=org.officer_users[0].username)
    token_revoke(actor=None, token=ApiToken.objects.get(), reason="不再使用")
    assert set(Entry.objects.filter(action__startswith="token.").values_list("action", flat=True)) == \
        {"token.create", "token.revoke"}
    assert verify_ledger().ok


def test_an_authenticator_is_an_entry_and_its_key_edited_in_the_database_is_named(org):
    device = totp_device(org.head)
    assert Entry.objects.filter(action="user.2fa_device.confirm", object_id=str(device.pk)).exists()
    assert verify_ledger().ok
    behind_the_ledger("UPDATE otp_totp_totpdevice SET key = %s WHERE id = %s", ["00" * 20, device.pk], tables=())
    assert named(f"otp_totp.totpdevice:{device.pk}")


def test_an_authenticator_added_in_the_database_is_named(org):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.create(user=org.head, name="攻击者的手机", confirmed=True)
    assert named("otp_totp.totpdevice:")


def test_a_reset_removes_the_authenticator_in_the_ledger(org):
    device = totp_device(org.head)
    two_factor_reset(actor=None, user=org.head, reason="手机遗失")
    assert Entry.objects.filter(action="user.2fa_device.delete", object_id=str(device.pk)).exists()
    assert verify_ledger().ok


def test_signing_in_keeps_the_ledger_verifiable(org, client):
    from lawtrail.testing import sign_in

    sign_in(client, org.head)
    assert PASSWORD and verify_ledger().ok
