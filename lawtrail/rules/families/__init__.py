"""The rules, one module per family: start, investigation, decision, service, execution, av,
archive, retention. Importing this package registers every rule in `base.RULES`."""

from lawtrail.rules.base import RULES
from lawtrail.rules.families import (  # each module registers its rules as it loads
    archive, av, decision, execution, investigation, retention, service, start,
)

# The checklist order (case page, `lawtrail check`, `lawtrail rules`) stays the one officers
# knew before the rules were split by family. A new rule takes its place here.
CHECKLIST_ORDER = (
    "start.approval", "start.emergency", "av.upload_deadline", "av.continuous", "av.mandatory",
    "service.mail_method", "decision.document", "service.proof", "investigation.record", "decision.rights_notice",
    "decision.head_approval", "simple.record", "enforcement.demand", "archive.deadline", "retention.circumstance",
    "signature.refusal", "execution.rectification_check",
)
RULES.sort(key=lambda r: CHECKLIST_ORDER.index(r.id))
