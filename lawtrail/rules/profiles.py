"""Regulation profiles: one YAML file per regulation in shared/regulations/.

Code reads regulation facts only from here (STYLE.md rule 4), each with the article
it comes from; `cite: null` marks a parameter the regulation leaves open, with a
note that says which default LawTrail applies.
"""

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

PROFILE_DIR = Path(__file__).resolve().parent / "profiles"


@dataclass(frozen=True)
class Profile:
    id: str
    source: str
    agency: str
    title: str
    data: dict

    def get(self, path):
        """A parameter by dotted path, e.g. `start.emergency.approve_within_hours`."""
        node = self.data
        for part in path.split("."):
            node = node[part]
        return node

    def cite(self, path):
        """The citation of the parameter block at `path`, or the profile's note when it has none."""
        block = self.get(path)
        return block.get("cite") or f"{self.id} 未规定（{block.get('note', '系统默认')}）"

    @property
    def label(self):
        return f"{self.id} {self.agency}《{self.title}》"


@cache
def profiles():
    loaded = {}
    for path in sorted(PROFILE_DIR.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        profile = Profile(
            id=str(data["id"]), source=data["source"], agency=data["agency"], title=data["title"], data=data
        )
        if path.stem != profile.id:
            raise ValueError(f"profile file {path.name} declares id {profile.id}")
        loaded[profile.id] = profile
    return loaded


def get_profile(profile_id):
    return profiles()[profile_id]


def profile_choices():
    return [(p.id, p.label) for p in profiles().values()]
