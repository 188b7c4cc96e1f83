from django.apps import AppConfig


class ArchiveConfig(AppConfig):
    name = "lawtrail.archive"
    label = "archive"
    verbose_name = "归档与保存"

    def ready(self):
        from lawtrail.archive import selectors
        from lawtrail.archive.tasks import on_entry_appended
        from lawtrail.cases import workflow
        from lawtrail.ledger.services import entry_appended
        from lawtrail.media import services as media
        from lawtrail.rules import facts

        entry_appended.connect(on_entry_appended, dispatch_uid="lawtrail.archive.tasks")
        # The parts below ask what only the archive knows.
        workflow.case_file_problem.install(selectors.case_file_problem)
        media.disposed_hashes.install(selectors.disposed_hashes)
        facts.holds_and_marks.install(selectors.holds_and_marks)
