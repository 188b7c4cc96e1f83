from django.apps import AppConfig


class RecordsConfig(AppConfig):
    name = "lawtrail.records"
    label = "records"
    verbose_name = "文字记录"

    def ready(self):
        from lawtrail.cases import workflow
        from lawtrail.records import selectors

        workflow.case_documents.install(selectors.case_documents)  # the workflow's gates read the documents
        _name_in_trail()


def _name_in_trail():
    """How the case trail names records and what hangs on them."""
    from lawtrail.ledger.labels import register_object

    def titled(record):
        return f"《{record.title}》{record.number}"

    register_object("records.record", titled)
    register_object("records.signature", lambda s: f"{titled(s.record)}（{s.signer_name}）", related=("record",))
    register_object("records.attachment", lambda a: f"{a.filename}（{titled(a.record)}）", related=("record",))
    register_object("records.seal", lambda seal: titled(seal.record), related=("record",))
