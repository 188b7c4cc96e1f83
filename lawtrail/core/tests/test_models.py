"""Choice labels gathered once: the same labels as Django's own get_FOO_display()."""

from django.db.models import Model

from lawtrail.cases.enums import Stage
from lawtrail.cases.models import Case, StageTransition
from lawtrail.records.models import Record


def test_choice_labels_are_djangos_and_an_unknown_value_shows_as_itself():
    for stage in Stage:
        case = Case(stage=stage)
        assert case.get_stage_display() == Model._get_FIELD_display(case, Case._meta.get_field("stage")) == stage.label
    assert Case(stage="no-such-stage").get_stage_display() == "no-such-stage"
    assert StageTransition(from_stage=Stage.INITIATION).get_from_stage_display() == "程序启动"
    assert Record(status="final").get_status_display() == Model._get_FIELD_display(
        Record(status="final"), Record._meta.get_field("status"))
