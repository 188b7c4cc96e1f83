import datetime

import pytest
from django.utils import timezone

from lawtrail.cases.enums import OfficerRole, Stage
from lawtrail.cases.models import Case
from lawtrail.cases.services import case_assign_officer, case_open, party_add
from lawtrail.core.models import Counter
from lawtrail.core.errors import InvalidInput, NotAllowed, NotFound
from lawtrail.ledger.models import Entry
from lawtrail.org.enums import Role
from lawtrail.testing import person_party


def test_it_numbers_cases_per_agency_and_year_without_gaps(org, other_org):
    year = timezone.localdate().year
    first, second = org.open_case(), org.open_case()
    elsewhere = other_org.open_case()
    assert (first.seq, second.seq, elsewhere.seq) == (1, 2, 1)
    assert first.case_no == f"{org.agency.case_prefix}罚〔{year}〕1号"
    assert elsewhere.case_no == f"{other_org.agency.case_prefix}罚〔{year}〕1号"


def test_each_matter_type_has_its_own_series(org):
    year = timezone.localdate().year
    penalty, licence = org.open_case(), org.open_case(matter_type="licensing")
    assert penalty.case_no == f"{org.agency.case_prefix}罚〔{year}〕1号"
    assert licence.case_no == f"{org.agency.case_prefix}许〔{year}〕1号"


def test_a_refused_opening_does_not_use_up_a_number(org):
    org.open_case()
    with pytest.raises(InvalidInput):
        org.open_case(parties=0, title="")
    with pytest.raises(InvalidInput):
        org.open_case(start_reason="   ")
    assert org.open_case().seq == 2
    assert Counter.objects.get(key__startswith=f"case:{org.agency.pk}:").last == 2


def test_opening_writes_the_case_its_officers_and_parties_to_the_ledger(org):
    case = org.open_case()
    actions = list(Entry.objects.filter(scope=case.scope).values_list("action", flat=True))
    assert actions == ["case.open", "case.assign", "case.assign", "party.add"]
    assert case.stage == Stage.INITIATION


def test_an_expired_officer_cannot_be_the_enforcing_officer(org):
    expired = org.officer("过期", valid_until=timezone.localdate() - datetime.timedelta(days=1))
    case = org.open_case()
    with pytest.raises(InvalidInput, match="已于 .* 过期"):
        case_assign_officer(actor=org.head, case=case, officer=expired)


def test_an_unqualified_officer_cannot_open_a_case_as_lead(org):
    unqualified = org.officer("无资格", qualified=False)
    before = Case.objects.count()
    with pytest.raises(InvalidInput, match="未取得行政执法资格"):
        case_open(actor=org.head, department=org.department, officers=[(unqualified, OfficerRole.LEAD)],
                  title="案由", matter_type="penalty", source="ex_officio", start_reason="原因")
    assert Case.objects.count() == before


def test_an_officer_of_another_agency_cannot_handle_the_case(org, other_org):
    case = org.open_case()
    with pytest.raises(InvalidInput, match="不是本机关"):
        case_assign_officer(actor=org.head, case=case, officer=other_org.officers[0])


def test_another_agencys_user_cannot_touch_the_case(org, other_org):
    case = org.open_case()
    with pytest.raises(NotFound):
        party_add(actor=other_org.head, case=case, **person_party())


def test_only_officers_and_heads_open_cases(org):
    with pytest.raises(NotAllowed):
        org.open_case(actor=org.users[Role.ARCHIVIST])


@pytest.mark.parametrize("party, message", [
    (dict(id_number="210203199001010000"), "居民身份证号码.*无效"),
    (dict(kind="organisation", id_type="uscc", id_number="91110000600037341X", legal_representative="甲"),
     "统一社会信用代码号码.*无效"),
    (dict(kind="organisation", id_type="resident_id"), "不能使用居民身份证"),
    (dict(kind="organisation", id_type="other", id_number="X1", legal_representative=""), "法定代表人"),
    (dict(kind="alien"), "当事人类型无效"),
])
def test_party_identity_is_validated(org, party, message):
    case = org.open_case()
    with pytest.raises(InvalidInput, match=message):
        party_add(actor=org.head, case=case, **{**person_party(), **party})
    assert case.parties.count() == 1


def test_a_valid_organisation_is_accepted_with_its_credit_code(org):
    case = org.open_case()
    party = party_add(actor=org.head, case=case, kind="organisation", name="大连某某有限公司", id_type="uscc",
                      id_number="91110000600037341L", legal_representative="王五")
    assert party.id_number == "91110000600037341L"


def test_a_case_read_with_its_team_sees_an_officer_or_party_added_to_it(org):
    from django.db.models import prefetch_related_objects

    from lawtrail.access.policy import case_for

    opened = org.open_case(officers=1)
    case = case_for(org.head, opened.pk)  # with its team loaded
    prefetch_related_objects([case], "parties")
    assert [a.officer for a in case.team()] == [org.officers[0]]
    assert not case.handled_by(org.officer_users[1])
    case_assign_officer(actor=org.head, case=case, officer=org.officers[1])
    assert case.handled_by(org.officer_users[1]) and len(case.team()) == 2
    party_add(actor=org.head, case=case, **person_party())
    assert len(case.parties.all()) == 2


def with_check_digit(base):
    from stdnum.cn import ric

    return base + ric.calc_check_digit(base + "0")


@pytest.mark.parametrize("number", [
    with_check_digit("43042119800101001"),  # 衡阳县, coded in 1983: born 1980, issued there later
    with_check_digit("21020319900101001"),
])
def test_a_real_resident_id_is_taken_whatever_year_its_county_got_its_code(org, number):
    case = org.open_case()
    party = party_add(actor=org.officer_users[0], case=case, **person_party(name="李四", id_number=number))
    assert party.id_number == number


@pytest.mark.parametrize("number", [
    with_check_digit("99999919800101001"),  # no such area code
    with_check_digit("43042119801301001"),  # month 13
    "430421198001010018",  # a wrong check digit
])
def test_a_resident_id_that_cannot_exist_is_refused(org, number):
    with pytest.raises(InvalidInput, match="无效，请核对"):
        party_add(actor=org.officer_users[0], case=org.open_case(), **person_party(name="李四", id_number=number))
