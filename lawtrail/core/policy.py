"""The access policy's questions, as the parts below `access` ask them.

The one policy (lawtrail.access.policy) sits above the parts it reads: it knows cases,
records, recordings and grants. Their services and selectors still ask it before they act,
so that a page or endpoint that forgot to ask is refused all the same. They ask through the
hooks named here; `access` installs its answers when Django starts (AccessConfig.ready).
Pages, endpoints and commands may import lawtrail.access.policy directly."""

from lawtrail.core.hooks import Hook

# What a user who may not see an item is shown in its place.
RESTRICTED_ENTRY = "受限条目"
RESTRICTED_CASE = "需调阅许可"

# (user) -> every case his worklists and statistics count
agency_cases = Hook("agency_cases", "lawtrail.access")
# (user, pk) -> the case he may see, or NotFound
case_for = Hook("case_for", "lawtrail.access")
# (user, case) -> NotAllowed unless he may play the case's recordings
check_av_view = Hook("check_av_view", "lawtrail.access")
# (user, case, what, record=None) -> NotAllowed unless he may write
check_case_writer = Hook("check_case_writer", "lawtrail.access")
# (user, case, what) -> NotAllowed unless he may copy out of the case
check_copy = Hook("check_copy", "lawtrail.access")
# (case loaded by case_for) -> (record ids, recording ids) hidden from its viewer
hidden_items = Hook("hidden_items", "lawtrail.access")
# (user, roles, what) -> NotAllowed unless he has one of the roles
require_role = Hook("require_role", "lawtrail.access")
# (user, case ids) -> those he may see
visible_case_ids = Hook("visible_case_ids", "lawtrail.access")
# (user) -> the cases he may see
visible_cases = Hook("visible_cases", "lawtrail.access")
# (user, entries, cases=None) -> entries, restricted ones masked
visible_entries = Hook("visible_entries", "lawtrail.access")
# (user, items, kind) -> the items of visible cases he may see
visible_items = Hook("visible_items", "lawtrail.access")


def install(answers):
    """Install, for each question, the function of its name in `answers` (the policy module)."""
    for name, hook in globals().items():
        if isinstance(hook, Hook):
            hook.install(getattr(answers, name))
