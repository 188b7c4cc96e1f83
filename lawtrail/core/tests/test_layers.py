"""The parts depend on each other in one order (DESIGN.md, "Parts, in the order they may
depend on each other"): a part imports only the parts below it. The imports of every module
are read from its source (function-level ones too: they are dependencies all the same).

A part's `api.py` (its HTTP endpoints) and `downloads.py` (the file responses its endpoints
and pages share) sit on the top floor with the web UI and the command line, which may import
anything. Where a lower part must ask a higher one (a service asks the access policy, the
workflow asks the archive), the lower part declares a `core.hooks.Hook` and the higher part
installs the answer at start-up: no import runs upward."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2]
ORDER = ["core", "ledger", "witness", "blobs", "regulations", "org", "cases", "records", "media", "rules", "archive",
         "supervision", "access", "top"]
TOP_MODULES = {"api", "cli", "demo", "samples", "tasks", "testing", "settings", "settings_test", "urls", "wsgi", "web"}

# The HTTP floor inside a part: its endpoints and the download responses its endpoints and
# pages share.
HTTP_MODULES = {"api", "downloads"}


def part_of(module):
    """The floor of a module ('lawtrail.records.services' -> 'records'), or None outside."""
    parts = module.split(".")
    if parts[0] != "lawtrail" or len(parts) < 2:
        return None
    if parts[1] in TOP_MODULES or (len(parts) > 2 and parts[2] in HTTP_MODULES):
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
    assert sorted(found) == [], "imports from a lower part to a higher one: " + "; ".join(
        f"{m} -> {p}" for m, p in sorted(found))


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
