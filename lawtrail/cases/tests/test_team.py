"""Who may change a case's team and parties: the head, or the lead handling officer for
assistants and parties; nobody puts himself on a case. Every change shows on the case."""

import pytest
from django.test import Client

from lawtrail.access.services import item_confidentiality_set
from lawtrail.cases.enums import Confidentiality, OfficerRole
from lawtrail.cases.services import case_assign_officer, party_add
from lawtrail.core.errors import NotAllowed
from lawtrail.org.enums import Role
from lawtrail.testing import person_party, sign_in


def client(user):
    return sign_in(Client(), user)


def test_an_officer_cannot_make_himself_a_handling_officer_and_so_read_the_secret_record(org):
    case = org.open_case()
    secret = org.final_record(case, "filing_approval")
    item_confidentiality_set(actor=org.head, case=case, level=Confidentiality.STATE_SECRET, reason="涉及国家秘密",
                             record=secret)
    intruder = org.officer("同科室执法人员")
    web = client(intruder.user)
    response = web.post(f"/api/cases/{case.pk}/officers", {"cert_no": intruder.cert_no},
                        content_type="application/json")
    assert response.status_code == 403
    assert "不能指定自己为承办人" in response.json()["detail"]
    assert not case.assignments.filter(officer=intruder).exists()
    assert web.get(f"/api/cases/{case.pk}/records/{secret.pk}").status_code == 404


@pytest.mark.parametrize("role", [Role.ARCHIVIST, Role.SUPERVISOR, Role.REVIEWER])
def test_only_the_head_and_the_lead_change_the_team_and_parties(org, role):
    case = org.open_case()
    newcomer = org.officer("新承办人")
    web = client(org.users[role])
    assert web.post(f"/api/cases/{case.pk}/officers", {"cert_no": newcomer.cert_no},
                    content_type="application/json").status_code == 403
    party = {k: v for k, v in person_party("李四").items()}
    assert web.post(f"/api/cases/{case.pk}/parties", party, content_type="application/json").status_code == 403
    assert case.assignments.count() == 2 and case.parties.count() == 1


def test_an_assistant_cannot_change_the_team(org):
    case = org.open_case()
    with pytest.raises(NotAllowed, match="须由负责人或本案主办承办人办理"):
        case_assign_officer(actor=org.officer_users[1], case=case, officer=org.officers[2])
    with pytest.raises(NotAllowed, match="须由负责人或本案主办承办人办理"):
        party_add(actor=org.officer_users[1], case=case, **person_party("王五"))


def test_the_lead_adds_assistants_and_parties_but_not_another_lead(org):
    case = org.open_case()
    lead = org.officer_users[0]
    with pytest.raises(NotAllowed, match="只能增加协办承办人"):
        case_assign_officer(actor=lead, case=case, officer=org.officers[2], role=OfficerRole.LEAD)
    case_assign_officer(actor=lead, case=case, officer=org.officers[2], reason="案情复杂，增派人员")
    party_add(actor=lead, case=case, **person_party("王五"))
    assert case.assignments.count() == 3 and case.parties.count() == 2


def test_the_head_assigns_anyone_but_himself(org):
    case = org.open_case(officers=1)
    case_assign_officer(actor=org.head, case=case, officer=org.officers[1], role=OfficerRole.LEAD)
    head_as_officer = org.officer("负责人本人", with_user=False)
    head_as_officer.user = org.head
    head_as_officer.save()
    with pytest.raises(NotAllowed, match="不能指定自己为承办人"):
        case_assign_officer(actor=org.head, case=case, officer=head_as_officer)


def test_every_change_of_team_and_parties_shows_on_the_case_with_who_made_it(org):
    case = org.open_case()
    case_assign_officer(actor=org.head, case=case, officer=org.officers[2], reason="增派执法人员")
    page = client(org.head).get(f"/cases/{case.pk}/").content.decode()
    history = page[page.index('data-testid="team-changes"'):]
    history = history[:history.index("</details>")]
    assert "承办人和当事人变更记录（4）" in history  # two officers and a party at registration, one added
    assert (f'{org.head.display_name}</td><td data-label="变更">指定承办人：{org.officers[2].name}（协办）</td>'
            f'<td data-label="理由">增派执法人员') in history
    assert f'{org.officer_users[0].display_name}</td><td data-label="变更">增加当事人：' in history
