"""Every citation in the profiles points at an article that exists in its regulation."""

import re

import pytest

from lawtrail.rules.profiles import get_profile, profiles
from lawtrail.testing import SHARED
CITE = re.compile(r"^(\d{3}) 第(.+)条$")


def citations(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "cite" and value:
                yield value
            else:
                yield from citations(value)
    elif isinstance(node, list):
        for value in node:
            yield from citations(value)


@pytest.mark.parametrize("profile_id", sorted(profiles()))
def test_every_citation_names_an_article_of_its_own_regulation(profile_id):
    profile = get_profile(profile_id)
    text = (SHARED / "regulations" / profile.source).read_text(encoding="utf-8")
    cited = list(citations(profile.data))
    assert cited
    for cite in cited:
        match = CITE.match(cite)
        assert match, f"{cite}: not of the form '{profile_id} 第X条'"
        assert match.group(1) == profile_id, f"{cite} cites another regulation"
        for number in match.group(2).split("、"):
            assert f"第{number}条" in text.replace(" ", "").replace("\u3000", ""), f"{cite}: 第{number}条 not found"


def test_every_article_of_the_five_texts_is_accounted_for():
    from lawtrail.rules.coverage import coverage

    table = coverage(SHARED / "regulations")
    assert sum(len(rows) for rows in table.values()) > 150
    uncovered = [f"{p} 第{a}条" for p, rows in table.items() for a, entries in rows if not entries]
    assert uncovered == []


def test_every_reason_in_the_coverage_list_names_an_existing_article():
    import yaml

    from lawtrail.rules.coverage import REASONS, articles_in, expand

    for ref in yaml.safe_load(REASONS.read_text(encoding="utf-8")):
        [(profile_id, article)] = expand(ref)
        text = (SHARED / "regulations" / get_profile(profile_id).source).read_text(encoding="utf-8")
        assert article in articles_in(text), ref


def test_the_committed_coverage_table_is_up_to_date():
    from pathlib import Path

    from lawtrail.rules.coverage import markdown

    committed = Path(__file__).resolve().parents[3] / "docs" / "coverage.md"
    assert committed.read_text(encoding="utf-8").strip() == markdown(SHARED / "regulations").strip(), \
        "run: lawtrail profiles --coverage > docs/coverage.md"
