"""`flush`, refused unless LAWTRAIL_ALLOW_FLUSH is set (only the test suite sets it).

Wiping the database would wipe the ledger. Django's test runner needs it between
transactional tests, so there the append-only triggers are lifted for the flush
and put back right after.
"""

from django.conf import settings
from django.core.management.base import CommandError
from django.core.management.commands import flush
from django.db import connections

from lawtrail.core.db import append_only_tables, install_append_only, remove_append_only


class Command(flush.Command):
    def handle(self, **options):
        if not settings.LAWTRAIL_ALLOW_FLUSH:
            raise CommandError("拒绝清空数据库：执法记录和账本只能追加，不能删除。")
        connection = connections[options["database"]]
        tables = append_only_tables(connection)
        for table in tables:
            remove_append_only(table, connection)
        try:
            return super().handle(**options)
        finally:
            for table in tables:
                install_append_only(table, connection)
