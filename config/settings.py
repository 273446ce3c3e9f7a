"""Defensor settings: one file, every value from the environment.

Defaults give the embedded set-up (SQLite in ``./var``, plain HTTP on loopback).
``DEFENSOR_MODE=production`` turns on HTTPS-only cookies, HSTS and the rest; the
system checks in ``defensor.core.checks`` then refuse to start with a missing or
weak secret. Secrets may also be read from ``NAME_FILE`` (Docker/systemd style).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    """Read ``name`` from the environment, or from the file named by ``name_FILE``."""
    file_path = os.environ.get(f"{name}_FILE")
    if file_path:
        return Path(file_path).read_text(encoding="utf-8").strip()
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = env(name, "1" if default else "0").strip().lower()
    return raw in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    return int(env(name, str(default)))


MODE = env("DEFENSOR_MODE", "local").strip().lower()
PRODUCTION = MODE == "production"

# Whatever this process writes (database, -wal, -shm, static and uploaded files, folders) is
# readable by its owner alone. Here because every entry point loads these settings first:
# the defensor command, manage.py, granian's workers and the tests.
os.umask(0o077)
DATA_DIR = Path(env("DEFENSOR_DATA_DIR", "var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True, mode=0o700)


def _local_secret_key() -> str:
    """In the embedded set-up, make a strong key once and keep it beside the database.

    Written to a temporary file and linked into place, so two processes starting at once agree
    on one key and nobody ever reads a half-written file.
    """
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        fd, temp_name = tempfile.mkstemp(dir=DATA_DIR, prefix=".secret_key.")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(secrets.token_urlsafe(50))
                handle.flush()
                os.fsync(handle.fileno())
            with contextlib.suppress(FileExistsError):
                os.link(temp_name, key_file)
        finally:
            os.unlink(temp_name)
    key = key_file.read_text(encoding="utf-8").strip()
    if len(key) < 50:
        raise ImproperlyConfigured(f"{key_file} is empty or too short; delete it to make a new one.")
    return key


SECRET_KEY = env("DEFENSOR_SECRET_KEY") or ("" if PRODUCTION else _local_secret_key())
# Django refuses to start with an empty key; production's check (defensor.E001)
# then explains what to set instead of the framework's generic message.
if not SECRET_KEY:
    SECRET_KEY = "missing-secret-key"  # noqa: S105 - rejected by defensor.E001 in production

DEBUG = env_bool("DEFENSOR_DEBUG", default=False)

ALLOWED_HOSTS = [
    h.strip() for h in env("DEFENSOR_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",") if h.strip()
]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in env("DEFENSOR_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "defensor.core",
    "defensor.audit",
    "defensor.accounts",
    "defensor.keys",
    "defensor.access",
    "defensor.people",
    "defensor.cases",
    "defensor.deadlines",
    "defensor.documents",
    "defensor.staff",
    "defensor.intake",
    "defensor.evidence",
    "defensor.operations",
    "defensor.retention",
    "defensor.reports",
    "django_tasks",
    "django_tasks_db",
]

MIDDLEWARE = [
    "defensor.core.middleware.ForgetClientMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "defensor.core.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "defensor.core.middleware.CsrfViewMiddleware",
    "defensor.core.middleware.StaffOnlyMiddleware",  # runs STAFF_MIDDLEWARE, below
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "defensor.core.middleware.DefensorErrorMiddleware",
]
# Sessions, logins, second factor, messages, key rings and lockout: everywhere but the public
# intake's pages (core.middleware.PUBLIC_PAGES), where no one is logged in and, under a flood,
# they cost a submission about a fifteenth of its server CPU for nothing. In this order.
STAFF_MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "defensor.accounts.middleware.StaffSessionMiddleware",
    "defensor.keys.middleware.KeyRingCookieMiddleware",
    "defensor.access.middleware.KeysHandOverMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "defensor" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "defensor.staff.context_processors.staff",
                "defensor.intake.context_processors.public",
            ],
        },
    },
]

# --- database -------------------------------------------------------------------------------

SQLITE_PATH = Path(env("DEFENSOR_SQLITE_PATH", str(DATA_DIR / "defensor.sqlite3")))
DATABASE_URL = env("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(SQLITE_PATH),
            # Each server worker keeps its connection (one thread per worker) instead of opening
            # the file and running the pragmas below again for every request that writes.
            "CONN_MAX_AGE": env_int("DEFENSOR_SQLITE_CONN_MAX_AGE", 600),
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": {
                # IMMEDIATE takes the write lock at BEGIN, so concurrent writers wait for
                # the busy timeout instead of failing on a lock upgrade.
                "transaction_mode": "IMMEDIATE",
                "timeout": env_int("DEFENSOR_SQLITE_TIMEOUT", 20),
                "init_command": (
                    "PRAGMA journal_mode=WAL;"
                    f"PRAGMA synchronous={env('DEFENSOR_SQLITE_SYNCHRONOUS', 'FULL')};"
                    "PRAGMA foreign_keys=ON;"
                    # Deleted rows (erased keys, withdrawn submissions) are overwritten, not left.
                    "PRAGMA secure_delete=ON;"
                    "PRAGMA journal_size_limit=67108864;"
                ),
            },
        }
    }
    # A test database must live in a file too: WAL and IMMEDIATE are what we ship.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test-defensor.sqlite3")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- accounts and authentication ------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "defensor.accounts.hashers.DefensorArgon2PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
]
# Argon2id cost of the key that wraps each staff member's private key, and of the password
# hash (which must be as costly: cracking it would yield the password, hence the key).
# See docs/security.md; tests lower it, production never should.
DEFENSOR_KDF = {
    "opslimit": env_int("DEFENSOR_KDF_OPSLIMIT", 3),
    "memlimit": env_int("DEFENSOR_KDF_MEMLIMIT", 128 * 1024 * 1024),
}
DEFENSOR_KDF_CONCURRENCY = env_int("DEFENSOR_KDF_CONCURRENCY", 2)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": env_int("DEFENSOR_PASSWORD_MIN_LENGTH", 12)},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "staff:login"
LOGIN_REDIRECT_URL = "staff:home"

# Sessions: a staff session ends after DEFENSOR_IDLE_TIMEOUT seconds without a request
# (enforced in StaffSessionMiddleware) and in any case after SESSION_COOKIE_AGE.
SESSION_ENGINE = "defensor.core.sessions"
SESSION_COOKIE_AGE = env_int("DEFENSOR_SESSION_MAX_AGE", 12 * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_NAME = "defensor_session"
IDLE_TIMEOUT_SECONDS = env_int("DEFENSOR_IDLE_TIMEOUT", 30 * 60)
CSRF_COOKIE_HTTPONLY = True
# Lax, not Strict: with Strict, a person arriving from a link in a messenger gets a new CSRF
# cookie, and the form open in their other tab then fails. Cross-site POSTs carry no Lax cookie.
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_AGE = 7 * 24 * 3600  # a week, not a year: a shared phone keeps less trace
CSRF_FAILURE_VIEW = "defensor.core.views.csrf_failure"

# Lockout: by account name only (we do not store client addresses, see ForgetClientMiddleware).
# A locked account still lets in whoever gives its password and second factor together
# (accounts.views._login_while_locked; docs/security.md): the lock stops guessers, not owners.
AXES_FAILURE_LIMIT = env_int("DEFENSOR_LOGIN_FAILURE_LIMIT", 5)
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_COOLOFF_TIME = env_int("DEFENSOR_LOGIN_COOLOFF_MINUTES", 15) / 60  # hours
AXES_RESET_ON_SUCCESS = True
AXES_DISABLE_ACCESS_LOG = True
AXES_CLIENT_IP_CALLABLE = "defensor.core.middleware.no_client_address"
AXES_USERNAME_CALLABLE = "defensor.accounts.lockout.lockout_name"
# Values of these fields are masked in what axes stores (only the field names remain).
AXES_SENSITIVE_PARAMETERS = [
    "username", "password", "next", "token", "csrfmiddlewaretoken",
    "current_password", "new_password", "new_password_again",
]
AXES_LOCKOUT_CALLABLE = "defensor.accounts.views.locked_out"
AXES_VERBOSE = False
AXES_ENABLE_ADMIN = False

OTP_TOTP_ISSUER = env("DEFENSOR_TOTP_ISSUER", "Defensor")
OTP_TOTP_THROTTLE_FACTOR = 1

# --- security headers -----------------------------------------------------------------------

SECURE_CONTENT_TYPE_NOSNIFF = True
# Staff pages: "same-origin". Intake pages: "no-referrer" (SecurityHeadersMiddleware), with which
# browsers send `Origin: null` on form posts; our CsrfViewMiddleware accepts that on intake pages
# only, where the CSRF token (and the SameSite=Strict cookie) still protect every form.
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY_PUBLIC = (
    "default-src 'none'; script-src 'none'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("DEFENSOR_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env_int("DEFENSOR_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("DEFENSOR_HSTS_PRELOAD", default=True)
    if env_bool("DEFENSOR_BEHIND_PROXY", default=True):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Request size (form fields, not files: the intake streams files encrypted to disk, capped per file).
# The intake's encrypted form state grows with the answers, so the limit leaves room for it.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DEFENSOR_MAX_FORM_BYTES", 512 * 1024)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 400
FILE_UPLOAD_MAX_MEMORY_SIZE = 256 * 1024
FILE_UPLOAD_TEMP_DIR = str(DATA_DIR / "tmp")
# Django's storage sets 0644 on every file it saves (collectstatic too) whatever the umask.
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
# Files are refused everywhere except where a view installs the encrypting handler (the intake):
# nothing uploaded may reach the disk in plaintext, not even a temp file.
FILE_UPLOAD_HANDLERS = ["defensor.intake.uploads.RefuseFilesHandler"]
Path(FILE_UPLOAD_TEMP_DIR).mkdir(parents=True, exist_ok=True, mode=0o700)

# --- languages ------------------------------------------------------------------------------

LANGUAGE_CODE = "ru"
LANGUAGES = [("ru", _("Russian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "defensor" / "locale"]
LANGUAGE_COOKIE_NAME = "defensor_language"
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SECURE = PRODUCTION
USE_I18N = True
USE_TZ = True
TIME_ZONE = env("DEFENSOR_TIME_ZONE", "Europe/Moscow")

# --- static files ---------------------------------------------------------------------------

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "defensor" / "static"]
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Hashed names need `collectstatic` (serve runs it); tests render without it.
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if env_bool("DEFENSOR_STATIC_MANIFEST", default=PRODUCTION)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_ROOT = DATA_DIR / "media"

# --- caches ---------------------------------------------------------------------------------

# Per-process memory only: nothing personal may reach a shared or on-disk cache.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- logging --------------------------------------------------------------------------------

# Logs go to stderr only; the redacting filter strips exception messages (they can
# carry values) and never formats a request. See docs/security.md.
# Background work (deadline reminders, document generation) in the same database, run by the worker
# `defensor serve` starts beside the web server (or `defensor worker` on its own). Task
# arguments are ids and dates only: they are stored in the clear.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
DEFENSOR_TASK_WORKER = env_bool("DEFENSOR_TASK_WORKER", default=True)

# Documents are also converted to PDF when LibreOffice is installed (0: DOCX only).
DEFENSOR_DOCUMENTS_PDF = env_bool("DEFENSOR_DOCUMENTS_PDF", default=True)

# Deadline reminders: how many days before a due date the responsible lawyer is reminded, and at
# what hour (server's time zone) the daily run happens.
DEFENSOR_REMIND_DAYS = sorted(
    {int(part) for part in env("DEFENSOR_REMIND_DAYS", "7,3,1").split(",") if part.strip()}, reverse=True
)
DEFENSOR_REMIND_HOUR = env_int("DEFENSOR_REMIND_HOUR", 8)

# E-mail, only for "a due date is near, sign in to see it" (no case, name or date in the message).
# Without EMAIL_HOST no mail is sent; reminders still appear on the overview and in the feed.
EMAIL_HOST = env("EMAIL_HOST")
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=True)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "defensor@localhost")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "defensor.core.logging.RedactingFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact"],
        },
    },
    "root": {"handlers": ["stderr"], "level": env("DEFENSOR_LOG_LEVEL", "WARNING")},
    "loggers": {
        "django": {"handlers": ["stderr"], "level": "WARNING", "propagate": False},
        "django.server": {"handlers": [], "propagate": False},
        "axes": {"handlers": ["stderr"], "level": "WARNING", "propagate": False},
    },
}

# --- Defensor -------------------------------------------------------------------------------

DEFENSOR_AUDIT_KEY = env("DEFENSOR_AUDIT_KEY")

# Where `defensor init` leaves the recovery kit when it does not run on a terminal: never the data
# directory (that is what gets backed up or seized; check defensor.E005). Printed, then deleted.
DEFENSOR_RECOVERY_KIT_DIR = Path(env("DEFENSOR_RECOVERY_KIT_DIR", ".")).resolve()

# Public intake.
DEFENSOR_INTAKE_QUESTIONNAIRE = env("DEFENSOR_INTAKE_QUESTIONNAIRE", "refusal")
# The evidence locker streams files in and out: a limit per file, not a memory bound.
DEFENSOR_EVIDENCE_MAX_BYTES = env_int("DEFENSOR_EVIDENCE_MAX_MB", 2048) * 1024 * 1024
# What is read of a file, in memory, for its metadata (evidence.metadata): its first MB and, for a
# video, its last; the rest is not looked at. The child process that parses it
# (evidence/metadata_child.py) is limited in memory and CPU seconds, and killed after TIMEOUT seconds.
DEFENSOR_EVIDENCE_METADATA_BYTES = env_int("DEFENSOR_EVIDENCE_METADATA_MB", 16) * 1024 * 1024
DEFENSOR_EVIDENCE_METADATA_MEMORY_MB = env_int("DEFENSOR_EVIDENCE_METADATA_MEMORY_MB", 512)
DEFENSOR_EVIDENCE_METADATA_CPU_SECONDS = env_int("DEFENSOR_EVIDENCE_METADATA_CPU_SECONDS", 5)
DEFENSOR_EVIDENCE_METADATA_TIMEOUT = env_int("DEFENSOR_EVIDENCE_METADATA_TIMEOUT", 15)
# Where the sealed originals are kept (random names; see docs/security.md, "Evidence locker").
DEFENSOR_EVIDENCE_DIR = DATA_DIR / "evidence"

# Backups (defensor backup, docs/operations.md): age archives written outside the data directory,
# to the organisation's recovery key and to these extra age recipients (age1…, comma-separated).
# The worker makes one a day at DEFENSOR_BACKUP_HOUR and keeps the newest DEFENSOR_BACKUP_KEEP;
# off when DEFENSOR_BACKUP_DIR is empty (production must set it; locally: ./backups beside var/).
DEFENSOR_BACKUP_DIR = env("DEFENSOR_BACKUP_DIR", "" if PRODUCTION else str(DATA_DIR.parent / "backups"))
DEFENSOR_BACKUP_RECIPIENTS = [r.strip() for r in env("DEFENSOR_BACKUP_RECIPIENTS", "").split(",") if r.strip()]
DEFENSOR_BACKUP_KEEP = env_int("DEFENSOR_BACKUP_KEEP", 14)
DEFENSOR_BACKUP_HOUR = env_int("DEFENSOR_BACKUP_HOUR", 3)
DEFENSOR_BACKUP_STALE_HOURS = env_int("DEFENSOR_BACKUP_STALE_HOURS", 48)
DEFENSOR_BACKUP_DRILL_DAYS = env_int("DEFENSOR_BACKUP_DRILL_DAYS", 7)
# Reports (docs/security.md, "Reports"): counts under DEFENSOR_REPORT_THRESHOLD are hidden and
# every shown count is rounded to DEFENSOR_REPORT_ROUNDING; a release may be put on a public page
# at /reports/<number>/ only when DEFENSOR_PUBLIC_REPORTS is on.
DEFENSOR_REPORT_THRESHOLD = max(env_int("DEFENSOR_REPORT_THRESHOLD", 10), 5)
DEFENSOR_REPORT_ROUNDING = max(env_int("DEFENSOR_REPORT_ROUNDING", 5), 1)
DEFENSOR_PUBLIC_REPORTS = env_bool("DEFENSOR_PUBLIC_REPORTS", default=False)
# Trusted timestamps (docs/security.md, "Trusted timestamps"): an RFC 3161 time-stamping authority
# the worker asks once a day for a token over the new custody chain heads (empty: off), the PEM
# file of its certificate and the chain up to its root (what `defensor evidence verify` trusts).
DEFENSOR_TSA_URL = env("DEFENSOR_TSA_URL")
DEFENSOR_TSA_CERT = env("DEFENSOR_TSA_CERT")
DEFENSOR_TSA_TIMEOUT = env_int("DEFENSOR_TSA_TIMEOUT_SECONDS", 30)
DEFENSOR_INTAKE_MAX_FILE_BYTES = env_int("DEFENSOR_INTAKE_MAX_FILE_MB", 20) * 1024 * 1024
DEFENSOR_INTAKE_MAX_FILES_PER_REQUEST = env_int("DEFENSOR_INTAKE_MAX_FILES_PER_REQUEST", 5)
DEFENSOR_INTAKE_MAX_PER_MINUTE = env_int("DEFENSOR_INTAKE_MAX_PER_MINUTE", 3000)
# A request sent faster than a person could read and answer the questions is held for review.
DEFENSOR_INTAKE_HOLD_FASTER_THAN = env_int("DEFENSOR_INTAKE_HOLD_FASTER_THAN_SECONDS", 20)
DEFENSOR_INTAKE_FORM_HOURS = env_int("DEFENSOR_INTAKE_FORM_HOURS", 72)  # how long a started form can wait
DEFENSOR_INTAKE_MAX_LATER_FILES = env_int("DEFENSOR_INTAKE_MAX_LATER_FILES", 20)
DEFENSOR_INTAKE_ABANDONED_HOURS = env_int("DEFENSOR_INTAKE_ABANDONED_HOURS", 24)
# Files attached to forms not sent yet, as stored: at most this much per form and in all (a form's
# own files, 5 x 20 MB, fit; forms that are never sent cannot fill the disk).
DEFENSOR_INTAKE_UNSENT_BYTES_PER_VISIT = env_int("DEFENSOR_INTAKE_UNSENT_MB_PER_VISIT", 128) * 1024 * 1024
DEFENSOR_INTAKE_UNSENT_BYTES_TOTAL = env_int("DEFENSOR_INTAKE_UNSENT_MB_TOTAL", 2048) * 1024 * 1024
# Free disk kept for the team: below the reserve the public intake takes no more files; below
# the floor it takes no more requests or messages either ("try again later", answers kept).
DEFENSOR_DISK_RESERVE_BYTES = env_int("DEFENSOR_DISK_RESERVE_MB", 512) * 1024 * 1024
DEFENSOR_DISK_FLOOR_BYTES = env_int("DEFENSOR_DISK_FLOOR_MB", 128) * 1024 * 1024
DEFENSOR_QUICK_EXIT_URL = env("DEFENSOR_QUICK_EXIT_URL", "https://yandex.ru/pogoda/")
# Flash messages ("Case 2026-0001 opened.") live in the server-side session, never in a cookie.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

# Cases: a claimant no one has spoken with for this many days is listed for a follow-up call.
DEFENSOR_FOLLOW_UP_DAYS = env_int("DEFENSOR_FOLLOW_UP_DAYS", 14)
# Automatic acknowledgement shown to the submitter (empty: the built-in, translated text).
DEFENSOR_INTAKE_ACKNOWLEDGEMENT = {
    "ru": env("DEFENSOR_INTAKE_ACKNOWLEDGEMENT_RU"),
    "en": env("DEFENSOR_INTAKE_ACKNOWLEDGEMENT_EN"),
}

# axes.W006 warns that lockout by account name alone ignores the client address. That is our
# choice: we never hold client addresses (ForgetClientMiddleware), and a per-account lockout
# cannot be bypassed by rotating addresses or user agents.
# security.W003 looks for Django's own CSRF middleware by name; ours (defensor.core.middleware.
# CsrfViewMiddleware) is a subclass that only accepts `Origin: null` on intake pages.
# axes.W002 looks for AxesMiddleware in MIDDLEWARE; it runs from STAFF_MIDDLEWARE, on every page
# but the public intake's (tests/test_lockout.py: an account is still locked out).
SILENCED_SYSTEM_CHECKS = ["axes.W002", "axes.W006", "security.W003"]
