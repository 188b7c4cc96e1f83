"""The parts depend on each other in one order (DESIGN.md, "Parts, in the order they may
depend on each other"): a part imports only the parts below it. The imports of every module
are read from its source (function-level ones too: they are dependencies all the same).

A part's `api.py` is its HTTP endpoints: it sits on the top floor with the web UI and the
command line, which may import anything. `KNOWN` lists the upward imports that remain, each
with why; the test fails on any other, and on a listed one that is gone (so the list only
shrinks)."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2]
ORDER = ["core", "ledger", "blobs", "regulations", "org", "cases", "records", "media", "rules", "archive",
         "supervision", "access", "top"]
TOP_MODULES = {"api", "cli", "demo", "samples", "tasks", "testing", "settings", "settings_test", "urls", "wsgi", "web"}

# (importing module, imported part): why it is still there.
KNOWN = {
    # Services and selectors below `access` ask the one policy for the user's rights (the case
    # he may see, the role a step needs, whether he may write or copy). DESIGN.md puts the
    # policy above the parts it reads; moving these checks to the pages and endpoints (or
    # handing the policy down) is the open step of issue 24.
    **{(module, "access"): "services and selectors ask the access policy" for module in (
        "lawtrail.archive.downloads", "lawtrail.archive.selectors", "lawtrail.archive.services",
        "lawtrail.cases.selectors", "lawtrail.media.selectors", "lawtrail.media.services",
        "lawtrail.records.selectors", "lawtrail.records.services",
        "lawtrail.supervision.selectors", "lawtrail.supervision.services", "lawtrail.supervision.statistics",
    )},
    ("lawtrail.cases.workflow", "archive"): "the archive step's guard asks whether the case file is current",
    ("lawtrail.media.services", "archive"): "a recording's expiry date is refreshed after a change of its case",
    ("lawtrail.rules.facts", "archive"): "the archive and retention rules read case files and holds",
}


def part_of(module):
    """The floor of a module ('lawtrail.records.services' -> 'records'), or None outside."""
    parts = module.split(".")
    if parts[0] != "lawtrail" or len(parts) < 2:
        return None
    if parts[1] in TOP_MODULES or (len(parts) > 2 and parts[2] == "api"):
        return "top"
    return parts[1] if parts[1] in ORDER else None


def imported_modules(source, module):
    """Every lawtrail module a source imports, resolved (relative imports too)."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(module.split(".")[:-node.level] + ([base] if base else []))
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names}
    return {name for name in found if name.startswith("lawtrail.")}


def upward_imports(source, module):
    """(module, imported part) for each import of a part above the module's own."""
    own = part_of(module)
    if own is None or own == "top":
        return set()
    found = set()
    for name in imported_modules(source, module):
        theirs = part_of(name)
        if theirs is not None and ORDER.index(theirs) > ORDER.index(own):
            found.add((module, theirs))
    return found


def package_modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE.parent)
        if "tests" in relative.parts or "migrations" in relative.parts:
            continue
        yield ".".join(relative.with_suffix("").parts).removesuffix(".__init__"), path


def test_no_part_imports_a_part_above_it():
    found = set()
    for module, path in package_modules():
        found |= upward_imports(path.read_text(encoding="utf-8"), module)
    new = sorted(found - set(KNOWN))
    assert new == [], "imports from a lower part to a higher one: " + "; ".join(f"{m} -> {p}" for m, p in new)
    gone = sorted(set(KNOWN) - found)
    assert gone == [], "no longer imported, remove from KNOWN: " + "; ".join(f"{m} -> {p}" for m, p in gone)


def test_every_part_folder_has_a_floor():
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert folders - set(ORDER) - TOP_MODULES == set()


@pytest.mark.parametrize("module, source, expected", [
    ("lawtrail.core.db", "from lawtrail.web import views", {("lawtrail.core.db", "top")}),
    ("lawtrail.ledger.chain", "def f():\n    from lawtrail.cases.models import Case", {("lawtrail.ledger.chain", "cases")}),
    ("lawtrail.records.pdf", "from ..archive import services", {("lawtrail.records.pdf", "archive")}),
    ("lawtrail.records.pdf", "import lawtrail.media.models", {("lawtrail.records.pdf", "media")}),
    ("lawtrail.archive.services", "from lawtrail.records.catalog import doc_type", set()),
    ("lawtrail.cases.api", "from lawtrail.access.policy import case_for", set()),  # an API module is on top
    ("lawtrail.web.views", "from lawtrail.access.policy import case_for", set()),
])
def test_an_import_against_the_order_is_found(module, source, expected):
    assert upward_imports(source, module) == expected
