"""Where a request came from, as the access log and the rate limits record it."""

from django.test import RequestFactory

from lawtrail.ledger.access_log import client_address


def request(remote, forwarded=None):
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return RequestFactory().get("/", REMOTE_ADDR=remote, **extra)


def test_a_forwarded_for_header_from_a_client_is_not_believed(settings):
    settings.LAWTRAIL_TRUSTED_PROXIES = frozenset()
    assert client_address(request("203.0.113.7", "10.0.0.1")) == "203.0.113.7"


def test_behind_a_trusted_proxy_the_address_it_appended_is_the_client(settings):
    settings.LAWTRAIL_TRUSTED_PROXIES = frozenset({"127.0.0.1", "10.9.9.9"})
    # The client forged the first hop; nginx (127.0.0.1) appended the address it saw.
    assert client_address(request("127.0.0.1", "1.2.3.4, 203.0.113.7")) == "203.0.113.7"
    # Two trusted proxies in a row: the first address that is none of them.
    assert client_address(request("127.0.0.1", "203.0.113.8, 10.9.9.9")) == "203.0.113.8"
    assert client_address(request("127.0.0.1")) == "127.0.0.1"


def test_no_request_is_an_unknown_source():
    assert client_address(None) == "未知来源"
