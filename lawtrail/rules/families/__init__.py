"""The rules, one module per family: start, source, investigation, decision, service,
execution, av, archive, retention. Importing this package registers every rule in `base.RULES`."""

from lawtrail.rules.base import RULES
from lawtrail.rules.families import (  # each module registers its rules as it loads
    archive, av, decision, execution, investigation, retention, service, source, start,
)

# The checklist order (case page, `lawtrail check`, `lawtrail rules`) stays the one officers
# knew before the rules were split by family. A new rule takes its place here.
CHECKLIST_ORDER = (
    "start.approval", "start.emergency", "start.emergency_report", "source.application", "source.complaint_record",
    "source.complaint_notice", "source.random_check", "av.upload_deadline", "av.metadata", "av.continuous",
    "av.mandatory", "av.case_recorded", "av.uncooperative", "service.mail_method", "service.public_photo",
    "decision.document", "service.proof", "investigation.record", "investigation.officers", "decision.rights_notice",
    "decision.statement_review", "decision.hearing", "decision.head_approval", "simple.record", "simple.av",
    "enforcement.demand", "archive.deadline", "retention.circumstance", "signature.refusal",
    "execution.rectification_check", "execution.performance", "av.evidence_note",
)
RULES.sort(key=lambda r: CHECKLIST_ORDER.index(r.id))
