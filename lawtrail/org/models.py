import datetime
import hashlib

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from lawtrail.ledger.registry import ledgered
from lawtrail.org.enums import DepartmentKind, EnrolmentStatus, Role


@ledgered()
class Agency(models.Model):
    """执法机关, bound to the regulation profile it works under."""

    code = models.SlugField(max_length=32, unique=True)
    name = models.CharField("机关名称", max_length=100, unique=True)
    short_name = models.CharField("简称", max_length=30)
    region = models.CharField("所在地区", max_length=60, blank=True)
    profile = models.CharField("适用规定", max_length=16)
    # 机关代字 (衡林, 长市监 …): the head of every 案号 and 文号, before the 类别代字 or 文书代字.
    case_prefix = models.CharField("机关代字", max_length=20)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "执法机关"
        ordering = ["code"]

    def __str__(self):
        return self.name


@ledgered()
class Department(models.Model):
    """科室 / 执法队."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="departments")
    name = models.CharField("名称", max_length=60)
    kind = models.CharField("类型", max_length=16, choices=DepartmentKind.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "科室/执法队"
        ordering = ["agency", "id"]
        constraints = [models.UniqueConstraint(fields=["agency", "name"], name="department_unique_name")]

    def __str__(self):
        return self.name


# The password is hashed into the ledger as its (salted) hash: a direct edit of it is named by
# `lawtrail verify`. The last sign-in time changes on every login and is left out.
@ledgered(exclude=("last_login",))
class User(AbstractUser):
    """A person who logs in. Roles are DESIGN.md's; admins belong to no agency."""

    full_name = models.CharField("姓名", max_length=40, blank=True)
    role = models.CharField("角色", max_length=16, choices=Role.choices, default=Role.OFFICER)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, null=True, blank=True, related_name="users")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, null=True, blank=True, related_name="users")

    class Meta:
        verbose_name = "用户"

    def __str__(self):
        return self.full_name or self.username

    @property
    def display_name(self):
        return self.full_name or self.username


class OfficerQuerySet(models.QuerySet):
    def qualified_on(self, on_date):
        """Officers who may act as enforcing officer on that date (see `qualification_problem`)."""
        return self.filter(qualified=True, cert_valid_from__lte=on_date, cert_valid_until__gte=on_date)


@ledgered()
class Officer(models.Model):
    """行政执法人员 with 执法证号 and the validity period of the qualification."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="officers")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="officers")
    user = models.OneToOneField(User, on_delete=models.PROTECT, null=True, blank=True, related_name="officer")
    name = models.CharField("姓名", max_length=40)
    cert_no = models.CharField("执法证号", max_length=32, unique=True)
    qualified = models.BooleanField("取得执法资格", default=True)
    cert_valid_from = models.DateField("证件有效期自")
    cert_valid_until = models.DateField("证件有效期至")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = OfficerQuerySet.as_manager()

    class Meta:
        verbose_name = "执法人员"
        ordering = ["agency", "name"]

    def __str__(self):
        return f"{self.name}（{self.cert_no}）"

    def qualification_problem(self, on_date):
        """Why this officer may not act as the enforcing officer on that date, or None."""
        if not self.qualified:
            return f"{self.name}（{self.cert_no}）未取得行政执法资格"
        if on_date < self.cert_valid_from:
            return f"{self.name}（{self.cert_no}）的执法证自 {self.cert_valid_from} 起才生效"
        if on_date > self.cert_valid_until:
            return f"{self.name}（{self.cert_no}）的执法证已于 {self.cert_valid_until} 过期"
        return None


def secret_hash(secret):
    """What is stored of a secret handed to a person (an API token, an enrolment code)."""
    return hashlib.sha256(secret.encode()).hexdigest()


@ledgered()  # the token's SHA-256 with the rest: a swapped hash is named by verify
class ApiToken(models.Model):
    """A bearer token for the API; only its SHA-256 is stored.

    It expires LAWTRAIL_TOKEN_DAYS after it was made. The date is worked out rather than
    stored: tokens made before tokens expired expire too, and no existing row changes
    (which `lawtrail verify` would report as tampering)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    token_hash = models.CharField(max_length=64, unique=True)
    label = models.CharField(max_length=60, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "API 令牌"

    @property
    def expires_at(self):
        return self.created_at + datetime.timedelta(days=settings.LAWTRAIL_TOKEN_DAYS)

    @property
    def revoked(self):
        return hasattr(self, "revocation")

    @property
    def status_label(self):
        if self.revoked:
            return "已吊销"
        return "已过期" if self.expires_at <= timezone.now() else "有效"


@ledgered()
class TokenRevocation(models.Model):
    """The end of an API token, by its owner or the admin: a row of its own, so that the
    token's own row never changes."""

    token = models.OneToOneField(ApiToken, on_delete=models.CASCADE, related_name="revocation")
    revoked_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, related_name="+")
    reason = models.CharField("吊销理由", max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "API 令牌吊销"


@ledgered()
class TwoFactorEnrolment(models.Model):
    """A one-time code the admin hands a user so that they can set up their authenticator
    (两步验证设置码); only its SHA-256 is stored. Without one, a password alone cannot
    enrol a device."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="two_factor_enrolments")
    code_hash = models.CharField(max_length=64, unique=True)
    issued_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, related_name="+")
    status = models.CharField(max_length=8, choices=EnrolmentStatus.choices, default=EnrolmentStatus.ISSUED)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "两步验证设置码"


# The authenticator (django-otp's device) is security state too: its key is hashed into the
# ledger with the rest, never written there; what changes on every sign-in is left out.
ledgered(exclude=("throttling_failure_timestamp", "throttling_failure_count", "last_used_at", "drift", "last_t"))(
    TOTPDevice)
