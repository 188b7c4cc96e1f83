"""The ledger page shows the witnesses: who cosigned, and who has gone silent."""

from django.urls import reverse

from lawtrail.ledger.models import Cosignature
from lawtrail.org.enums import Role
from lawtrail.web.tests.test_views import client_for
from lawtrail.witness.testing import running_witnesses


def test_signing_submits_to_the_witnesses_and_the_page_shows_a_silent_one(org, tmp_path, settings):
    with running_witnesses(tmp_path, settings) as (online, offline):
        offline.stop()
        client = client_for(org.users[Role.SUPERVISOR])
        client.post(reverse("web:ledger_sign"))
        assert Cosignature.objects.get().witness == online.witness.verifier.text()
        page = client.get(reverse("web:ledger")).content.decode()
        assert "见证机构" in page and f"<strong>{online.witness.name}</strong>：" in page
        silent = page.split('data-testid="witness-silent"', 1)[1]
        assert silent.split("</li>")[0].count(offline.witness.name) == 1 and "未应答" in silent and "自动重试" in silent
        assert page.count("已联署至第") == 1
        assert "无法连接见证服务" in silent  # the cause, for the IT staff who can mend it
        officer_page = client_for(org.officer_users[0]).get(reverse("web:ledger")).content.decode()
        assert "未应答" in officer_page and "无法连接见证服务" not in officer_page
