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


def test_the_five_profiles_load_and_validate():
    assert sorted(profiles()) == ["000", "001", "002", "003", "004"]


@pytest.mark.parametrize("change, message", [
    (lambda d: d.pop("archive"), "missing parameter block archive"),
    (lambda d: d["av"]["upload_deadline"].pop("cite"), "has no cite"),
    (lambda d: d["archive"].update(cite=None, note=""), "no note saying which default applies"),
    (lambda d: d["archive"].update(cite="003 第二十三条"), "not an article of 004"),
    (lambda d: d["archive"].update(cite="第二十三条"), "not an article of 004"),
    (lambda d: d.update(id="005"), "declares id 005"),
])
def test_a_broken_profile_is_refused_saying_what_is_wrong(change, message):
    import copy

    from lawtrail.rules.profiles import ProfileError, validate

    data = copy.deepcopy(get_profile("004").data)
    validate("004", data, "004.yaml")
    change(data)
    with pytest.raises(ProfileError, match=message):
        validate("004", data, "004.yaml")
