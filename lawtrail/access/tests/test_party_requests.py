"""Party requests (政府信息公开): identity checked at registration, decision with its legal
basis and what was provided; the party never gets an account."""

import pytest
from django.test import Client
from django.urls import reverse

from lawtrail.access.models import PartyRequestStatus
from lawtrail.access.services import party_request_decide, party_request_register
from lawtrail.core.errors import Conflict, InvalidInput, NotAllowed
from lawtrail.ledger.models import Entry
from lawtrail.org.enums import Role
from lawtrail.org.models import User
from lawtrail.testing import Org, resident_id, sign_in

pytestmark = pytest.mark.django_db


def register(org, case, **overrides):
    party = case.parties.get()
    fields = dict(actor=org.users[Role.ARCHIVIST], case=case, party=party, requester_role="party",
                  requester_name=party.name, requester_id_type="resident_id", requester_id_number=party.id_number,
                  kind="copy", items="行政处罚决定书、送达回证")
    return party_request_register(**{**fields, **overrides})


def test_the_party_itself_is_checked_against_the_case_and_the_decision_cites_the_law():
    org = Org("pr", profile="003")
    case = org.open_case()
    users = User.objects.count()
    request = register(org, case)
    assert "一致" in request.identity_check
    with pytest.raises(InvalidInput, match="请写明向申请人提供了哪些记录"):
        party_request_decide(actor=org.users[Role.ARCHIVIST], request=request, status="granted", reason="依法公开")
    decided = party_request_decide(actor=org.users[Role.ARCHIVIST], request=request, status="granted",
                                   reason="属于当事人本人的执法记录", provided="行政处罚决定书复印件 1 份（加盖印章）")
    assert decided.status == PartyRequestStatus.GRANTED
    assert "政府信息公开条例" in decided.legal_basis and "003 第二十六条" in decided.legal_basis
    assert User.objects.count() == users  # no account for the party
    assert Entry.objects.filter(scope=case.scope, action="party_request.decide").exists()
    with pytest.raises(Conflict, match="已作出决定"):
        party_request_decide(actor=org.head, request=decided, status="refused", reason="改判")


def test_someone_else_cannot_pass_as_the_party_and_an_agent_needs_an_authorisation():
    org = Org("pr", profile="004")
    case = org.open_case()
    with pytest.raises(InvalidInput, match="不符"):
        register(org, case, requester_name="冒名者", requester_id_number=resident_id())
    with pytest.raises(InvalidInput, match="无效"):
        register(org, case, requester_id_number="123")
    with pytest.raises(InvalidInput, match="授权委托书"):
        register(org, case, requester_role="agent", requester_name="李律师", requester_id_number=resident_id())
    agent = register(org, case, requester_role="agent", requester_name="李律师", requester_id_number=resident_id(),
                     authorization="当事人 2026年11月20日 签署的授权委托书", kind="read")
    assert "授权委托书" in agent.identity_check
    refused = party_request_decide(actor=org.head, request=agent, status="refused", reason="涉及第三方商业秘密")
    assert refused.legal_basis.endswith("004 第三十五条")
    with pytest.raises(NotAllowed):
        register(org, case, actor=org.officer_users[0])


def test_party_requests_from_the_archive_page():
    org = Org("pr", profile="001")
    case = org.open_case()
    party = case.parties.get()
    client = sign_in(Client(), org.users[Role.ARCHIVIST])
    url = reverse("web:case_archive_action", args=[case.pk, "party_request"])
    page = client.post(url, {"party": party.pk, "requester_role": "party", "requester_name": party.name,
                             "id_type": "resident_id", "id_number": party.id_number, "kind": "read",
                             "items": "询问笔录"}, follow=True).content.decode()
    assert "已登记" in page and "核对证件" in page
    request = case.party_requests.get()
    page = client.post(reverse("web:case_archive_action", args=[case.pk, "party_request_decide"]),
                       {"request": request.pk, "status": "partly", "reason": "部分内容涉及他人隐私",
                        "provided": "询问笔录（隐去第三人信息）"}, follow=True).content.decode()
    assert "已决定：部分准予" in page and "001 第二十五条" in page
