"""Signing in again in place (a record form whose session expired): the sign-in page's rules."""

from django.test import Client
from django.urls import reverse

from lawtrail.ledger.models import Entry
from lawtrail.testing import PASSWORD, totp_code, totp_device


def again(client, user, password, **extra):
    return client.post(reverse("web:login_again"), {"username": user.username, "password": password, **extra})


def test_it_signs_in_again_and_hands_the_page_a_new_csrf_token(org):
    client, officer = Client(), org.officer_users[0]
    response = again(client, officer, PASSWORD)
    assert response.status_code == 200 and response.json()["ok"] and response.json()["csrf"]
    assert client.get(reverse("web:case_list")).status_code == 200
    assert Entry.objects.filter(action="user.login", object_id=str(officer.pk)).exists()


def test_it_counts_wrong_passwords_toward_the_lockout_of_the_sign_in_page(org):
    client, officer = Client(), org.officer_users[0]
    response = again(client, officer, "wrong")
    assert response.status_code == 401 and "密码不正确" in response.json()["error"]
    for _ in range(4):
        response = again(client, officer, "wrong")
    assert response.status_code == 429  # the fifth locks the account, as on the sign-in page
    assert Entry.objects.filter(action="user.login_failed", reason__contains=officer.username).count() == 5
    response = again(client, officer, PASSWORD, HTTP_X_REQUESTED_WITH="XMLHttpRequest")
    assert response.status_code in (403, 429)
    assert client.get(reverse("web:case_list")).status_code == 302  # still signed out
    locked = Client().post(reverse("web:login"), {"username": officer.username, "password": PASSWORD})
    assert locked.status_code == 429  # the same account is locked on the sign-in page too


def test_a_head_gives_his_dynamic_code_as_well(org):
    head = org.head
    device = totp_device(head)
    client = Client()
    response = again(client, head, PASSWORD)
    assert response.status_code == 422 and "动态验证码" in response.json()["error"]
    assert client.get(reverse("web:case_list")).status_code == 302
    response = again(client, head, PASSWORD, otp=totp_code(device))
    assert response.status_code == 200
    assert client.get(reverse("web:case_list")).status_code == 200  # verified: no second-factor page
