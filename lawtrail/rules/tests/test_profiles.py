"""The profiles load and validate; every article of the five texts is accounted for."""

import pytest

from lawtrail.regulations.profiles import get_profile, profiles
from lawtrail.regulations.texts import regulation_text


def test_every_article_of_the_five_texts_is_accounted_for():
    from lawtrail.rules.coverage import coverage

    table = coverage()
    assert sum(len(rows) for rows in table.values()) > 150
    uncovered = [f"{p} 第{a}条" for p, rows in table.items() for a, entries in rows if not entries]
    assert uncovered == []


def test_every_reason_in_the_coverage_list_names_an_existing_article():
    import yaml

    from lawtrail.rules.coverage import REASONS, expand

    for ref in yaml.safe_load(REASONS.read_text(encoding="utf-8")):
        [(profile_id, article)] = expand(ref)
        assert article in regulation_text(get_profile(profile_id).source).articles, ref


def test_an_article_marked_as_a_rule_is_one_its_profile_checks_and_cites():
    """规则 in the coverage table only where a rule the profile uses cites that very article:
    no article is said to be checked by a rule that is missing, switched off or cites another."""
    import yaml

    from lawtrail.rules.coverage import REASONS, coverage, expand
    from lawtrail.rules.engine import RULES

    assert {kind for kind, _ in yaml.safe_load(REASONS.read_text(encoding="utf-8")).values()} <= {
        "general", "manual", "system", "planned"}, "coverage.yaml explains articles; rules come from the rules"
    marked = [(profile_id, article, text) for profile_id, rows in coverage().items() for article, entries in rows
              for kind, text in entries if kind == "rule"]
    assert len(marked) >= 60
    by_id = {r.id: r for r in RULES}
    for profile_id, article, text in marked:
        rule, profile = by_id.get(text.split(" ", 1)[0]), get_profile(profile_id)
        assert rule is not None and rule.uses(profile), (profile_id, article, text)
        assert (profile_id, article) in expand(rule.cite(profile)), (profile_id, article, text)


def test_every_rule_cites_articles_of_its_own_text_or_says_which_default_applies():
    from lawtrail.regulations.citations import parse
    from lawtrail.rules.engine import RULES

    for rule in RULES:
        for profile in profiles().values():
            if not rule.uses(profile):
                continue
            block = profile.get(rule.param)
            if block.get("cite") is None:
                assert block.get("note"), (rule.id, profile.id)
                continue
            citation = parse(block["cite"])
            assert citation.profile_id == profile.id, (rule.id, profile.id)
            citation.resolve(profile.source)  # raises for an article not in the text


def test_every_finalisation_check_names_real_fields_and_cites_its_own_text():
    """The items finalising asks for when something happened (`record_conditions`): a typo
    in a document or field name would switch a check off without a word."""
    from lawtrail.records.catalog import catalog
    from lawtrail.regulations.citations import parse

    items = [(p, item) for p in profiles().values() for item in p.data.get("record_conditions", {}).get("items", ())]
    assert len(items) >= 5
    for profile, item in items:
        fields = {f.key: f for f in catalog()[item["document"]].fields}
        for key, value in item["when"].items():
            assert value in fields[key].options, (profile.id, item)
        assert all(key in fields for key in item["require"]), (profile.id, item)
        citation = parse(item["cite"])
        assert citation.profile_id == profile.id and item["what"], (profile.id, item)
        citation.resolve(profile.source)


def test_the_committed_coverage_table_is_up_to_date():
    from pathlib import Path

    from lawtrail.rules.coverage import markdown

    committed = Path(__file__).resolve().parents[3] / "docs" / "coverage.md"
    assert committed.read_text(encoding="utf-8").strip() == markdown().strip(), \
        "run: lawtrail profiles --coverage > docs/coverage.md"


def test_the_five_profiles_load_and_validate():
    assert sorted(profiles()) == ["000", "001", "002", "003", "004"]


@pytest.mark.parametrize("change, message", [
    (lambda d: d.pop("archive"), "missing parameter block archive"),
    (lambda d: d["av"]["upload_deadline"].pop("cite"), "has no cite"),
    (lambda d: d["archive"].update(cite=None, note=""), "no note saying which default applies"),
    (lambda d: d["archive"].update(cite="003 第二十三条"), "not an article of 004"),
    (lambda d: d["archive"].update(cite="第二十三条"), "not an article of 004"),
    (lambda d: d["archive"].update(cite="004 第九十条"), "第90条 is not in 004_"),
    (lambda d: d["archive"].update(cite="004 第十条（九）"), "item 9 is not in 第十条"),
    (lambda d: d.update(source="005_missing.txt"), "is not shipped"),
    (lambda d: d.update(id="005"), "declares id 005"),
])
def test_a_broken_profile_is_refused_saying_what_is_wrong(change, message):
    import copy

    from lawtrail.regulations.profiles import ProfileError, validate

    data = copy.deepcopy(get_profile("004").data)
    validate("004", data, "004.yaml")
    change(data)
    with pytest.raises(ProfileError, match=message):
        validate("004", data, "004.yaml")
