"""The shipped texts, the citation parser, and every citation LawTrail shows or keeps
resolving to an article (and item) of its own profile's text."""

import hashlib
import re
from pathlib import Path

import pytest
import yaml

from lawtrail.records.catalog import catalog
from lawtrail.regulations import citations
from lawtrail.regulations.citations import CitationError, find, of_profile, parse
from lawtrail.regulations.profiles import get_profile, profiles
from lawtrail.regulations.texts import TEXT_DIR, parse as parse_text, regulation_text, zh_number, zh_numeral
from lawtrail.rules.engine import catalog as rule_catalog
from lawtrail.supervision.services import CASE_FILE_ITEMS, CHECK_ITEMS

PACKAGE = Path(__file__).resolve().parents[2]


def test_the_shipped_texts_are_the_published_bytes():
    readme = (TEXT_DIR / "README.md").read_text(encoding="utf-8")
    listed = dict(re.findall(r"\| (\d{3}_[0-9a-f]{16}\.txt) \|.*\| ([0-9a-f]{64}) \|", readme))
    assert sorted(listed) == sorted(p.name for p in TEXT_DIR.glob("*.txt"))
    for name, digest in listed.items():
        assert hashlib.sha256((TEXT_DIR / name).read_bytes()).hexdigest() == digest, name
    assert sorted(p.source for p in profiles().values()) == sorted(listed)


@pytest.mark.parametrize("number", range(1, 200))
def test_chinese_article_numbers_read_both_ways(number):
    assert zh_number(zh_numeral(number)) == number


@pytest.mark.parametrize("numeral, number", [("十", 10), ("十五", 15), ("二十", 20), ("三十六", 36), ("一百零五", 105)])
def test_chinese_numerals_as_the_texts_write_them(numeral, number):
    assert zh_number(numeral) == number
    assert zh_numeral(number) == numeral


def test_a_text_is_read_into_articles_chapters_and_items():
    text = regulation_text(get_profile("004").source)
    assert list(text.articles)[:3] == [1, 2, 3]
    assert len(text.articles) == 38
    article = text.articles[30]
    assert article.label == "第三十条" and article.lines[0].startswith("第三十条")
    assert "2个工作日" in article.text.replace(" ", "")
    assert not article.items and any(a.items.get(1, "").startswith("（一）") for a in text.articles.values())
    chaptered = regulation_text(get_profile("000").source)
    assert chaptered.articles[1].chapter.startswith("第一章")
    assert chaptered.articles[12].items[5].startswith("（五）") and 6 not in chaptered.articles[12].items
    # 002 indents its articles with spaces and full-width spaces
    assert len(regulation_text(get_profile("002").source).articles) == 24


def test_a_paragraph_without_an_article_before_it_is_preamble():
    text = parse_text("关于印发的通知\n\n第一条 目的。\n（一）甲；\n第二章 其他\n第二条 施行。\n", "x.txt")
    assert text.title == "关于印发的通知"
    assert text.articles[1].lines == ["第一条 目的。", "（一）甲；"]
    assert text.articles[1].items == {1: "（一）甲；"}
    assert text.articles[2].chapter == "第二章 其他"


@pytest.mark.parametrize("cite, profile_id, articles, item", [
    ("004 第三十条", "004", (30,), None),
    ("004 第十五、二十三、二十八条", "004", (15, 23, 28), None),
    ("002 第十九至二十一条", "002", (19, 20, 21), None),
    ("000 第十二条（五）", "000", (12,), 5),
])
def test_a_citation_is_parsed_into_articles_and_items(cite, profile_id, articles, item):
    citation = parse(cite)
    assert (citation.profile_id, citation.articles, citation.item) == (profile_id, articles, item)
    resolved = citation.resolve()
    assert [a.number for a, _ in resolved] == list(articles)
    if item:
        assert resolved[0][1].startswith("（五）")


@pytest.mark.parametrize("cite, message", [
    ("第三十条", "not a citation"),
    ("004 第九十条", "第90条 is not in 004_"),
    ("000 第十二条（六）", "item 6 is not in 第十二条"),
    ("009 第一条", "no profile 009"),
    ("004 第二十至十条", "runs backwards"),
])
def test_a_citation_of_a_missing_article_is_refused(cite, message):
    with pytest.raises(CitationError, match=message):
        parse(cite).resolve()


def test_citations_are_found_in_running_text():
    text = "未在规定时间内上传（004 第三十条），另见 000 第十六、十七条；第十条无编号。"
    found = find(text)
    assert [text[s:e] for s, e, _ in found] == ["004 第三十条", "000 第十六、十七条"]
    assert [c.articles for _, _, c in found] == [(30,), (16, 17)]


def test_only_the_viewers_profile_is_kept():
    cites = ["001 第六条", "003 第九条", "004 第十条"]
    assert of_profile(cites, "004") == ["004 第十条"]
    assert of_profile(cites, "002") == []


def _cites(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "cite" and value:
                yield value
            else:
                yield from _cites(value)
    elif isinstance(node, list):
        for value in node:
            yield from _cites(value)


def every_citation():
    """Every citation kept as data: profiles, the document catalog, the rules, the checklists."""
    for profile in profiles().values():
        for cite in _cites(profile.data):
            yield f"profile {profile.id}", cite, profile.id
    for spec in catalog().values():
        for cite in spec.cite:
            yield f"document {spec.code}", cite, None
    for rule, used in rule_catalog():
        for profile, cite in used:
            if cite and not cite.startswith(f"{profile.id} 未规定"):
                yield f"rule {rule.id}", cite, profile.id
    for key, _, cites in CHECK_ITEMS + CASE_FILE_ITEMS:
        for cite in cites:
            yield f"checklist {key}", cite, None


def test_every_citation_names_an_article_of_its_own_text():
    walked = 0
    for where, cite, profile_id in every_citation():
        citation = parse(cite)
        assert profile_id is None or citation.profile_id == profile_id, f"{where}: {cite} cites another profile"
        citation.resolve()  # raises, naming the missing article
        walked += 1
    assert walked > 150


def test_every_citation_written_in_code_templates_and_data_names_an_existing_article():
    """Comments, messages and templates too: a citation anywhere in the package must resolve."""
    missing = []
    for path in PACKAGE.rglob("*"):
        if path.suffix not in (".py", ".html", ".yaml", ".js") or "tests" in path.parts or "migrations" in path.parts:
            continue
        for _, _, citation in find(path.read_text(encoding="utf-8")):
            try:
                citation.resolve()
            except CitationError as exc:
                missing.append(f"{path.relative_to(PACKAGE)}: {exc}")
    assert missing == []


def test_the_coverage_reasons_parse_as_citations():
    from lawtrail.rules.coverage import REASONS

    for ref in yaml.safe_load(REASONS.read_text(encoding="utf-8")):
        citations.parse(ref).resolve()
