"""LawTrail settings, read from the environment.

So one can just check out the code, run `make run` and it works: every setting has
a safe default for the embedded run (SQLite and local disk under LAWTRAIL_HOME).
Production mode (LAWTRAIL_PRODUCTION=true) turns on the HTTPS-only settings that
`manage.py check --deploy` asks for.
"""

import datetime
import os
import secrets
from pathlib import Path

import dj_database_url

from lawtrail.core.files import private_dir, private_file, write_private


def envbool(name, default):
    return os.environ.get(name, str(default)).strip().lower() in ("1", "true", "yes", "on")


def envint(name, default):
    return int(os.environ.get(name, default))


def envlist(name, default):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


BASE_DIR = Path(__file__).resolve().parent
LAWTRAIL_HOME = Path(os.environ.get("LAWTRAIL_HOME", "var")).resolve()
private_dir(LAWTRAIL_HOME)  # the agency's records: 0700, not the umask's world-readable 0755

PRODUCTION = envbool("LAWTRAIL_PRODUCTION", False)
DEBUG = envbool("DEBUG", False)


def _secret_key():
    """The key from the environment, else one generated once into LAWTRAIL_HOME."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    path = LAWTRAIL_HOME / "secret_key"
    try:
        write_private(path, secrets.token_urlsafe(64).encode())
    except FileExistsError:
        pass
    return path.read_text().strip()


SECRET_KEY = _secret_key()

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver" if not PRODUCTION else "")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", "")
CSRF_FAILURE_VIEW = "lawtrail.web.error_views.csrf_failure"  # Chinese, not Django's English 403

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "ninja",
    "django_tasks",
    "axes",
    "csp",
    "django_tasks_db",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "lawtrail.core",
    "lawtrail.org",
    "lawtrail.ledger",
    "lawtrail.rules",
    "lawtrail.cases",
    "lawtrail.records",
    "lawtrail.media",
    "lawtrail.archive",
    "lawtrail.access",
    "lawtrail.supervision",
    "lawtrail.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "lawtrail.access.middleware.SessionRenewalMiddleware",
    "lawtrail.core.middleware.RejectNulMiddleware",
    "lawtrail.core.middleware.DiskFullMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "lawtrail.access.middleware.RequireTwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "lawtrail.urls"
WSGI_APPLICATION = "lawtrail.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "lawtrail.web.todo.todo_count",
                "lawtrail.web.context.technical",
                "lawtrail.web.context.session_expiry",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{LAWTRAIL_HOME / 'lawtrail.sqlite3'}",
        # Each thread of the web server keeps its connection (opening one per request costs
        # the database a new backend process); a connection that died is replaced unseen.
        conn_max_age=envint("DB_CONN_MAX_AGE", 300),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's, plus statements deferred to the commit (a ledger entry's pending row),
    # prepared once per connection unless a pooler in transaction mode forbids it.
    DATABASES["default"]["ENGINE"] = "lawtrail.core.pgbackend"
    DATABASES["default"]["PREPARE_DEFERRED"] = envbool("LAWTRAIL_DB_PREPARE", True)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE takes the write lock when a transaction begins, so concurrent
    # writers queue instead of failing half-way with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # Made 0600 before SQLite first opens it (it would take the umask's 0644); SQLite gives
    # the WAL and shared-memory files the database's own mode.
    _sqlite_file = str(DATABASES["default"]["NAME"])
    if ":memory:" not in _sqlite_file and Path(_sqlite_file).parent.is_dir():
        private_file(_sqlite_file)

AUTH_USER_MODEL = "org.User"
# Passwords are hashed with Argon2; repeated failures lock the account for a while (django-axes).
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "lawtrail.org.backends.UserBackend"]
AXES_FAILURE_LIMIT = envint("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=envint("AXES_COOLOFF_MINUTES", 15))
# Locked by account, whatever the address: a government office often reaches the server
# through one NAT address, so locking by IP would lock the whole office out (hence axes.W006
# is silenced on purpose).
AXES_LOCKOUT_PARAMETERS = ["username"]
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_LOCKOUT_TEMPLATE = "web/locked.html"
AXES_RESET_ON_SUCCESS = True
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = LAWTRAIL_HOME / "static"
private_dir(STATIC_ROOT)
# The embedded run serves static files straight from the apps; production serves the
# collected copies with hashed names (`lawtrail serve` collects them as it starts;
# `check --deploy` says when they are missing or out of date).
WHITENOISE_USE_FINDERS = not PRODUCTION
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "lawtrail.core.staticfiles.StaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LAWTRAIL_STORAGE = os.environ.get("LAWTRAIL_STORAGE", f"file://{LAWTRAIL_HOME / 'blobs'}")
# On an S3 bucket with Object Lock: the COMPLIANCE retention a new blob gets before the
# retention rules classify it — the shortest period any profile keeps a recording
# (002 第十一条: 日常巡查 不少于6个月). 0 leaves new blobs unlocked until classified.
LAWTRAIL_OBJECT_LOCK_DAYS = int(os.environ.get("LAWTRAIL_OBJECT_LOCK_DAYS", "183"))
LAWTRAIL_KEY_DIR = LAWTRAIL_HOME / "keys"
# The address the public reaches this server at: every finalised document's QR code points
# to <this>/verify/<code> (扫码验真), so it must be the address printed documents will keep.
# The reverse proxies (nginx) whose X-Forwarded-For is believed, by address; none by default.
LAWTRAIL_TRUSTED_PROXIES = frozenset(envlist("LAWTRAIL_TRUSTED_PROXIES", ""))
LAWTRAIL_PUBLIC_URL = os.environ.get("LAWTRAIL_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
# The public page answers each client address this many lookups per window of seconds.
LAWTRAIL_VERIFY_LOOKUPS = envint("LAWTRAIL_VERIFY_LOOKUPS", 30)
LAWTRAIL_VERIFY_WINDOW = envint("LAWTRAIL_VERIFY_WINDOW", 600)
# The issuer shown in authenticator apps for two-factor sign-in.
OTP_TOTP_ISSUER = "LawTrail 执法全过程记录系统"
# 国密: agencies (by code, comma-separated, or *) whose packages also carry SM3 digests.
LAWTRAIL_SM3_AGENCIES = frozenset(filter(None, os.environ.get("LAWTRAIL_SM3_AGENCIES", "").replace(" ", "").split(",")))
# RFC 3161 time-stamps on evidence packages: the TSA's URL, and a PEM file with the
# certificates its responses are checked against (its root, and any intermediates).
# When the URL is set, every package is stamped, and an export fails while the TSA is down.
LAWTRAIL_TSA_URL = os.environ.get("LAWTRAIL_TSA_URL", "")
LAWTRAIL_TSA_CERTS = os.environ.get("LAWTRAIL_TSA_CERTS", "")
LAWTRAIL_TSA_TIMEOUT = int(os.environ.get("LAWTRAIL_TSA_TIMEOUT", "30"))
# The agency's electronic seal (电子印章) on finalised documents (lawtrail.org.keys). Without
# a PKCS#11 module, trial keys are generated into LAWTRAIL_KEY_DIR. With one (a UKey or HSM):
# the token's label and user PIN, the label of each agency's key and certificate ("{agency}"
# is the agency's code), the PEM file of the CA certificates that issued them, and optionally
# the CA's CRL (DER) to check and embed; without it, revocation data is fetched when sealing.
LAWTRAIL_SEAL_PKCS11_LIB = os.environ.get("LAWTRAIL_SEAL_PKCS11_LIB", "")
LAWTRAIL_SEAL_PKCS11_TOKEN = os.environ.get("LAWTRAIL_SEAL_PKCS11_TOKEN", "")
LAWTRAIL_SEAL_PKCS11_PIN = os.environ.get("LAWTRAIL_SEAL_PKCS11_PIN", "")
LAWTRAIL_SEAL_PKCS11_KEY = os.environ.get("LAWTRAIL_SEAL_PKCS11_KEY", "seal-{agency}")
LAWTRAIL_SEAL_CA_CERTS = os.environ.get("LAWTRAIL_SEAL_CA_CERTS", "")
LAWTRAIL_SEAL_CRL = os.environ.get("LAWTRAIL_SEAL_CRL", "")
# Sealing asks the TSA at most this long before it seals without a time-stamp (时间戳待补).
LAWTRAIL_SEAL_TSA_TIMEOUT = int(os.environ.get("LAWTRAIL_SEAL_TSA_TIMEOUT", "10"))

# Background jobs (compliance re-evaluation) go through django-tasks with its database
# backend: `lawtrail serve` starts one worker beside the web server; larger deployments run
# `lawtrail manage db_worker` on as many machines as they like, all on the same database.
TASKS = {"default": {"BACKEND": os.environ.get("LAWTRAIL_TASK_BACKEND", "django_tasks_db.DatabaseBackend")}}
# A job still running this long after a worker took it is taken to be orphaned by a worker
# that died, and queued again (`lawtrail check --record`, `lawtrail serve`).
LAWTRAIL_TASK_STALLED_MINUTES = int(os.environ.get("LAWTRAIL_TASK_STALLED_MINUTES", "30"))
# Origin line of signed ledger checkpoints (C2SP signed-note style).
LAWTRAIL_LEDGER_ORIGIN = os.environ.get("LAWTRAIL_LEDGER_ORIGIN", "lawtrail.local/ledger")
# PostgreSQL: a write and its ledger entry commit together without waiting for the chain;
# entries join the chain in batches a moment after (lawtrail.ledger.chain, .chainer). SQLite
# serialises every write anyway and appends in place.
LAWTRAIL_LEDGER_BATCH = envbool("LAWTRAIL_LEDGER_BATCH", DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3")
# Batched: how long each process's chainer waits after a commit for more to chain in one pass.
LAWTRAIL_LEDGER_CHAIN_DELAY = float(os.environ.get("LAWTRAIL_LEDGER_CHAIN_DELAY", "0.05"))
# Witnesses that cosign the ledger's checkpoints (c2sp.org/tlog-witness), each "URL VKEY"
# (the witness's submission URL and its public key, `lawtrail witness key`), comma-separated.
LAWTRAIL_WITNESSES = envlist("LAWTRAIL_WITNESSES", "")
LAWTRAIL_WITNESS_TIMEOUT = float(os.environ.get("LAWTRAIL_WITNESS_TIMEOUT", "10"))
# `lawtrail serve` signs a checkpoint and submits it to the witnesses by itself (no cron):
# once this many entries were written since the last one, or once this many minutes passed
# with any new entry; it looks every LAWTRAIL_CHECKPOINT_POLL_SECONDS, and a witness that
# did not answer is tried again on the next look.
LAWTRAIL_CHECKPOINT_EVERY_ENTRIES = envint("LAWTRAIL_CHECKPOINT_EVERY_ENTRIES", 1000)
LAWTRAIL_CHECKPOINT_EVERY_MINUTES = envint("LAWTRAIL_CHECKPOINT_EVERY_MINUTES", 10)
LAWTRAIL_CHECKPOINT_POLL_SECONDS = float(os.environ.get("LAWTRAIL_CHECKPOINT_POLL_SECONDS", "30"))
# `flush` wipes the append-only tables; only the test suite may do that.
LAWTRAIL_ALLOW_FLUSH = envbool("LAWTRAIL_ALLOW_FLUSH", False)

# An API token is accepted for this many days after it was made; a two-factor enrolment
# code the admin hands over, for this many days or until used.
LAWTRAIL_TOKEN_DAYS = envint("LAWTRAIL_TOKEN_DAYS", 90)
LAWTRAIL_ENROLMENT_DAYS = envint("LAWTRAIL_ENROLMENT_DAYS", 7)

# Idle timeout: a session unused for 30 minutes ends. Requests renew it, at most once a
# minute (lawtrail.access.middleware.SessionRenewalMiddleware) rather than with a database
# write on every request, so it ends between 29 and 30 minutes after the last one.
SESSION_COOKIE_AGE = envint("SESSION_COOKIE_AGE", 30 * 60)
LAWTRAIL_SESSION_RENEW_SECONDS = envint("LAWTRAIL_SESSION_RENEW_SECONDS", 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content Security Policy: scripts only from this server (no inline scripts anywhere);
# inline style attributes are allowed for the time line's positions.
CONTENT_SECURITY_POLICY = {
    "EXCLUDE_URL_PREFIXES": ["/api/docs"],  # the OpenAPI explorer loads its assets from a CDN
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "media-src": ["'self'", "blob:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

if PRODUCTION:
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
