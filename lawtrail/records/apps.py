from django.apps import AppConfig


class RecordsConfig(AppConfig):
    name = "lawtrail.records"
    label = "records"
    verbose_name = "文字记录"

    def ready(self):
        from lawtrail.cases import workflow
        from lawtrail.records import selectors

        workflow.case_documents.install(selectors.case_documents)  # the workflow's gates read the documents
