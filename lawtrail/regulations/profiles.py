"""Regulation profiles: one YAML file per regulation text shipped in texts/.

Code reads regulation facts only from here (STYLE.md rule 4), each with the article
it comes from; `cite: null` marks a parameter the regulation leaves open, with a
note that says which default LawTrail applies.
"""

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from lawtrail.regulations import citations

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


# Every profile sets these parameter blocks; each block carries `cite` (an article of its own
# regulation, "NNN 第X条") or `cite: null` with a `note` saying which default applies.
REQUIRED_BLOCKS = (
    "scope", "start.ex_officio_approval", "start.emergency", "start.complaint_decline_notice", "signature.refusal",
    "service.mail_methods", "av.upload_deadline", "av.metadata", "av.continuous", "av_mandatory", "archive",
    "decision_document", "service_proof", "investigation_record", "rights_notice", "head_approval",
    "simple_procedure", "enforcement_demand", "retention", "retention.case_file", "provision", "access", "party_request", "retention_circumstance",
    "rectification_check", "legal_review", "collective_discussion", "closing_report", "numbering",
)


class ProfileError(ValueError):
    pass


def validate(profile_id, data, name):
    """Refuse a profile that misses a block, cites badly, or leaves a default unexplained."""
    if str(data.get("id")) != profile_id:
        raise ProfileError(f"{name}: declares id {data.get('id')}, expected {profile_id}")
    for key in ("source", "agency", "title"):
        if not data.get(key):
            raise ProfileError(f"{name}: missing {key}")
    for path in REQUIRED_BLOCKS:
        node = data
        for part in path.split("."):
            if not isinstance(node, dict) or part not in node:
                raise ProfileError(f"{name}: missing parameter block {path}")
            node = node[part]
        if "cite" not in node:
            raise ProfileError(f"{name}: {path} has no cite (use cite: null with a note)")
        cite = node["cite"]
        if cite is None and not node.get("note"):
            raise ProfileError(f"{name}: {path} has cite: null but no note saying which default applies")
        if cite is not None:
            try:
                citation = citations.parse(str(cite))
            except citations.CitationError:
                citation = None
            if citation is None or citation.profile_id != profile_id:
                raise ProfileError(f"{name}: {path} cites {cite!r}, not an article of {profile_id}")
            try:
                citation.resolve(data["source"])
            except (citations.CitationError, FileNotFoundError) as exc:
                raise ProfileError(f"{name}: {path}: {exc}")


@cache
def profiles():
    loaded = {}
    for path in sorted(PROFILE_DIR.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        validate(path.stem, data, path.name)
        profile = Profile(
            id=str(data["id"]), source=data["source"], agency=data["agency"], title=data["title"], data=data
        )
        loaded[profile.id] = profile
    return loaded


def get_profile(profile_id):
    return profiles()[profile_id]


def profile_choices():
    return [(p.id, p.label) for p in profiles().values()]
