"""The pages make no ORM query of their own (DESIGN.md): they look objects up through the
parts' scoped selectors (`case_for`, `draw_for`, `device_for`, `departments_of`, …), where
the agency filter is written once; a page that reaches a model's manager or writes the
agency filter by hand fails here."""

import re
from pathlib import Path

WEB = Path(__file__).resolve().parents[1]
MANAGER = re.compile(r"\b[A-Z]\w*\.objects\.(?!none\(\))")
TENANT_FILTER = re.compile(r"agency_id\s*=\s*request\.user\.agency_id")


def page_modules():
    return [path for path in sorted(WEB.glob("*.py"))]


def test_pages_make_no_orm_query_of_their_own():
    found = [f"{path.name}:{n}: {line.strip()}" for path in page_modules()
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if MANAGER.search(line) or TENANT_FILTER.search(line)]
    assert found == []


def test_the_check_finds_a_query_and_a_hand_written_agency_filter():
    assert MANAGER.search("draw = SampleDraw.objects.filter(pk=pk).first()")
    assert not MANAGER.search('field = forms.ModelChoiceField(queryset=Department.objects.none())')
    assert TENANT_FILTER.search("x.filter(pk=pk, agency_id=request.user.agency_id)")
