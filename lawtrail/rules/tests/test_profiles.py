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
