"""The server refuses to start on a ledger that is smaller than, or another tree than,
the newest checkpoint a witness cosigned (`lawtrail serve` migrates first, and migrate runs
the database checks)."""

from django.core.checks import Error, Tags, register
from django.db import DatabaseError


@register(Tags.database)
def ledger_holds_cosigned_checkpoint(app_configs=None, databases=None, **kwargs):
    if not databases:
        return []
    from lawtrail.ledger.cosignatures import cosigned_tree_problem

    try:
        problem = cosigned_tree_problem()
    except DatabaseError:  # not migrated yet
        return []
    if problem is None:
        return []
    return [Error(f"拒绝启动：{problem}。请从备份恢复，并运行 lawtrail verify 查明。", id="ledger.E001")]
