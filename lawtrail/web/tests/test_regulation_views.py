"""The shipped regulation texts on their pages, and citations shown as links to their
articles, each agency seeing only its own profile's."""

import re

import pytest
from django.urls import reverse
from django.utils.html import escape

from lawtrail.records.pdf import pdf_context
from lawtrail.records.services import record_create
from lawtrail.regulations.profiles import get_profile, profiles
from lawtrail.regulations.texts import regulation_text
from lawtrail.testing import Org
from lawtrail.web.templatetags.lawtrail_format import citations, own_citations
from lawtrail.web.tests.test_views import client_for

CITE_LINK = re.compile(r'<a class="cite" href="/regulations/(\d{3})/#a(\d+)"[^>]*>([^<]+)</a>')


@pytest.mark.parametrize("profile_id", sorted(profiles()))
def test_the_regulation_page_shows_the_whole_text_with_an_anchor_per_article(org, profile_id):
    page = client_for(org.head).get(reverse("web:regulation", args=[profile_id])).content.decode()
    profile = get_profile(profile_id)
    assert profile.title in page
    for number, article in regulation_text(profile.source).articles.items():
        assert f'id="a{number}"' in page
        last = article.lines[-1] if len(article.lines) > 1 else article.opening
        assert escape(last) in page  # the article's last paragraph, word for word


def test_the_articles_come_as_json_for_the_pop_up(org):
    data = client_for(org.head).get(reverse("web:regulation_articles", args=["004"])).json()
    assert data["profile"] == "004" and data["agency"] == "衡阳市林业局"
    assert data["articles"]["30"]["label"] == "第三十条"
    assert "2 个工作日内" in data["articles"]["30"]["text"]


def test_an_unknown_regulation_is_a_404_and_the_pages_need_a_login(org, client):
    assert client_for(org.head).get(reverse("web:regulation", args=["009"])).status_code == 404
    assert client.get(reverse("web:regulation", args=["004"])).status_code == 302
    assert client.get(reverse("web:regulation_articles", args=["004"])).status_code == 302


def test_regulations_in_the_menu_lead_to_the_users_own_text(org):
    response = client_for(org.head).get(reverse("web:regulations"))
    assert response.status_code == 302 and response["Location"] == reverse("web:regulation", args=["003"])


def test_citations_in_running_text_become_links_and_the_rest_stays_escaped():
    html = citations("<b>逾期</b>（004 第三十条；另见 004 第十五、二十三、二十八条）")
    assert html.startswith("&lt;b&gt;逾期&lt;/b&gt;")
    links = CITE_LINK.findall(html)
    assert links == [("004", "30", "004 第三十条"), ("004", "15", "004 第十五、二十三、二十八条")]
    assert 'data-articles="15,23,28"' in html


def test_a_citation_linked_once_is_linked_again_under_another_url_prefix():
    """The links are kept per text (the same messages come back page after page), but a site
    served under a prefix gets its own links, not those made for another."""
    from django.urls import set_script_prefix

    text = "未在 2 个工作日内报告（004 第三十条）"
    assert citations(text) == citations(text) and 'href="/regulations/004/#a30"' in citations(text)
    try:
        set_script_prefix("/lawtrail/")
        assert 'href="/lawtrail/regulations/004/#a30"' in citations(text)
    finally:
        set_script_prefix("/")
    assert 'href="/regulations/004/#a30"' in citations(text)


def test_of_several_profiles_citations_only_the_viewers_is_shown():
    cites = ["001 第六条", "003 第九条", "004 第十条"]
    assert CITE_LINK.findall(own_citations(cites, "004")) == [("004", "10", "004 第十条")]
    assert own_citations(cites, "002") == ""


@pytest.fixture
def hengyang(db):
    return Org("hy", profile="004")


def test_a_record_page_cites_only_its_agencys_regulation(hengyang):
    org = hengyang
    case = org.open_case()
    record = record_create(actor=org.officer_users[0], case=case, doc_type_code="filing_approval")
    page = client_for(org.officer_users[0]).get(
        reverse("web:record_detail", kwargs={"pk": case.pk, "record_id": record.pk})).content.decode()
    header = page[page.index(case.case_no):page.index(case.case_no) + 600]
    assert CITE_LINK.findall(header)[0] == ("004", "10", "004 第十条")
    assert "001 第六条" not in page and "003 第九条" not in page


def test_a_case_pages_findings_link_their_citations_of_the_cases_profile(hengyang):
    org = hengyang
    case = org.open_case()
    page = client_for(org.officer_users[0]).get(reverse("web:case_detail", args=[case.pk])).content.decode()
    linked = CITE_LINK.findall(page)
    assert linked and {profile for profile, _, _ in linked} == {"004"}
    assert ("004", "10", "004 第十条") in linked


def test_the_recording_advice_and_the_pdf_footer_keep_to_the_cases_profile(hengyang, org):
    for agency_org, expected in ((hengyang, "004 第三十一条、004 第三十二条"), (org, "")):
        case = agency_org.open_case()
        record = record_create(actor=agency_org.officer_users[0], case=case, doc_type_code="av_evidence_note")
        assert pdf_context(record)["cite"] == expected
