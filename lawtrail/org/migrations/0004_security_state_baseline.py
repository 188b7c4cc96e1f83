"""The ledger now hashes security state it left out before (password hashes, API token and
enrolment-code hashes, authenticators): one entry per existing row records its hash as it
is, so that `lawtrail verify` names a direct edit from now on and not every row at once."""

from django.db import migrations

ACTION = "security.baseline"


def baseline(apps, schema_editor):
    # The real models, deliberately: the registry hashes them as the running code does.
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from lawtrail.ledger.services import ledger_append
    from lawtrail.org.models import ApiToken, TwoFactorEnrolment, User

    for model in (User, ApiToken, TwoFactorEnrolment, TOTPDevice):
        for obj in model._default_manager.order_by("pk"):
            ledger_append(actor=None, action=ACTION, obj=obj, reason="账本开始记录安全状态的哈希（密码、令牌、两步验证）")


class Migration(migrations.Migration):
    dependencies = [
        ("org", "0003_numbering_series"),
        ("ledger", "0006_witnesses"),
        ("otp_totp", "0003_add_timestamps"),
    ]

    operations = [migrations.RunPython(baseline, migrations.RunPython.noop)]
