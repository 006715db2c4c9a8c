"""LeakCase settings. Everything that differs between machines comes from the environment.

LeakCase runs on PostgreSQL only: the audit trail is kept by database triggers and due work
is claimed with SELECT ... FOR UPDATE SKIP LOCKED. Without DATABASE_URL it uses the local
server's `leakcase` database (bin/demo, without it, runs a server of its own in var/postgres).
Without REDIS_URL Celery uses kombu's SQLAlchemy transport on a file in var/ and the cache is
a file cache there.
"""

import base64
import ipaddress
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_noop

from leakcase.env import (
    env_bool,
    env_int,
    env_list,
    env_str,
    evidence_storage,
    parse_master_keys,
    parse_support_contacts,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("LEAKCASE_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", False)
# Keys anyone can read, in this repository or its history: docker-compose.yml's old defaults,
# the Dockerfile's old build-time key and the development fallback below. Signed cookies,
# reset links and sealed second-factor secrets made with one of them can be forged or opened
# by anyone, so with DEBUG off they are refused by name (the test settings' own keys are not
# among them: they never leave leakcase/settings_test.py).
DEVELOPMENT_SECRET_KEY = "insecure-development-key-never-use-in-production"  # noqa: S105
PUBLISHED_SECRET_KEYS = frozenset(
    {
        DEVELOPMENT_SECRET_KEY,
        "change-me-this-default-key-is-public-and-not-secret",
        "collectstatic-only-not-a-real-key",
    }
)
# Base64 of the evidence master key docker-compose.yml shipped as its default.
PUBLISHED_MASTER_KEYS = frozenset({"bG9jYWwtZGVtby1rZXktcHVibGljLWNoYW5nZS1tZSE="})
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = DEVELOPMENT_SECRET_KEY
elif not DEBUG and SECRET_KEY in PUBLISHED_SECRET_KEYS:
    raise ImproperlyConfigured(
        "SECRET_KEY is a published demo value: set a secret one when DEBUG is off"
    )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "allauth",
    "allauth.account",
    "allauth.mfa",  # second factor: TOTP and recovery codes (accounts/adapter.py encrypts)
    "axes",  # failed-login lockouts per (account, address)
    "accounts",
    "outbox",  # every email, as a row before it is sent, and the one delivery
    "cases",
    "platforms",
    "evidence",
    "takedowns",
    "delisting",  # search results tracked apart from removal
    "hosting",  # who hosts a site: registrar, network owner, CDN, with sources
    "inbound",  # mail that comes back: replies, acknowledgements, bounces (issue 19)
    "anymail",  # providers' inbound webhooks (inbound/webhooks.py); no models
    "monitoring",
    "digests",
    "casework",  # what composes every app: the case page, the caseload, demo data
    "data_rights",  # her export and erasure, and a case's evidence bundle: reads every app
    "pgtrigger",  # append-only audit tables and row-change triggers (audit/)
    "audit",
]

MIDDLEWARE = [
    "leakcase.middleware.request_id",
    "django.middleware.security.SecurityMiddleware",
    "leakcase.middleware.privacy_headers",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Her language for the request: the language cookie (set by the picker), then the
    # browser's Accept-Language. After sessions, before CommonMiddleware (Django's order).
    # URLs carry no language prefix: a sighting's or case's address never changes with it.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # The language saved on her account wins over the cookie and the browser: it needs the
    # user, so it follows authentication (accounts/middleware.py).
    "accounts.middleware.account_language",
    "audit.middleware.AuditMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # Idle and absolute session limits first, so an expired session is not sent to enrolment.
    "accounts.middleware.session_limits",
    "accounts.middleware.second_factor_required",
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks: turns a lockout into our page
]

ROOT_URLCONF = "leakcase.urls"
WSGI_APPLICATION = "leakcase.wsgi.application"
ASGI_APPLICATION = "leakcase.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                # LANGUAGE_CODE, LANGUAGE_BIDI and LANGUAGES for <html lang dir> and the picker.
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "leakcase.context_processors.site",
                "leakcase.context_processors.support",
                "leakcase.context_processors.languages",
            ],
            # {% form_token %}: the one-time token of every form (leakcase/forms.py).
            "builtins": ["leakcase.forms"],
        },
    },
]

# Form and widget templates from their Jinja2 copies (leakcase/forms.py says why).
FORM_RENDERER = "leakcase.forms.FormRenderer"

DATABASE_URL = env_str("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/leakcase")
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL,
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("DATABASE_URL must be a postgres:// URL: LeakCase needs PostgreSQL")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out (account, address)
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"

# django-allauth: email is the login; there are no usernames.
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
# A survivor in crisis must not be stopped at an inbox she may not control; verification is
# offered, not required.
ACCOUNT_EMAIL_VERIFICATION = "optional"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
# Other sites (the quick-exit site, a platform she opens) never learn where she came from.
# Not "no-referrer": under it Chromium sends "Origin: null" on our own form posts, which
# Django's CSRF check rightly refuses (tests/browser/test_quick_exit.py shows both). Towards
# every other site same-origin sends exactly what no-referrer sends: nothing.
SECURE_REFERRER_POLICY = "same-origin"
# HTTPS only, and remembered by the browser: the first visit from a hostile network is the
# one that matters, so the defaults ask for subdomains and the preload list. A deployment
# whose other subdomains are not on HTTPS yet turns those two off in its environment.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY", False) else None
)

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
# The languages of survivor pages and emails, each named in its own language (the picker
# shows them so: someone who cannot read English must still find hers). Arabic is read right
# to left (Django's LANGUAGES_BIDI): base.html sets dir="rtl" and the CSS uses logical
# properties. The catalogs are locale/<code>/LC_MESSAGES/django.po; each says in its header
# whether a native speaker has reviewed it (leakcase/i18n.py), and the picker marks the
# ones not yet reviewed "(in review)".
LANGUAGES = [
    ("en", "English"),
    ("es", "Español"),
    ("fr", "Français"),
    ("de", "Deutsch"),
    ("pt-br", "Português (Brasil)"),
    ("it", "Italiano"),
    ("pl", "Polski"),
    ("ar", "العربية"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
# The language cookie outlives the session (a year, Django's default) so the login page
# is in her language; it holds only a language code. Same flags as the session cookie.
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Evidence never goes through MEDIA_URL: the storage has no base URL and files are only
# streamed by views that check who is asking. Files are sealed before they reach storage
# (evidence/vault/crypto.py), so a bucket holds ciphertext only. Local disk by default;
# S3-compatible object storage when EVIDENCE_S3_BUCKET is set (`pip install .[s3]`).
EVIDENCE_S3_BUCKET = env_str("EVIDENCE_S3_BUCKET")
_evidence_storage = evidence_storage(os.environ, default_root=str(VAR_DIR / "evidence"))
STORAGES = {
    "default": _evidence_storage,
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage",
    },
}

# Evidence encryption (evidence/vault/crypto.py): "id:base64-32-bytes", newest first,
# comma-separated.
# Development without it derives a key from SECRET_KEY; production refuses to start.
_master_keys = env_str("LEAKCASE_MASTER_KEYS")
if _master_keys:
    EVIDENCE_MASTER_KEYS = parse_master_keys(_master_keys)
    # Only the newest key is refused: a published one may stay listed after it, so that
    # `manage.py rotate_evidence_keys` can re-wrap the files sealed under it.
    _newest = base64.b64encode(next(iter(EVIDENCE_MASTER_KEYS.values()), b"")).decode()
    if not DEBUG and _newest in PUBLISHED_MASTER_KEYS:
        raise ImproperlyConfigured(
            "LEAKCASE_MASTER_KEYS starts with a published demo key: put a secret key first "
            "when DEBUG is off"
        )
elif DEBUG:
    import hashlib

    EVIDENCE_MASTER_KEYS = {"dev": hashlib.sha256(b"leakcase-dev:" + SECRET_KEY.encode()).digest()}
else:
    raise ImproperlyConfigured("LEAKCASE_MASTER_KEYS must be set when DEBUG is off")

# Uploads: refuse big files before Pillow sees them (evidence/image_open.py has the image limits).
EVIDENCE_MAX_UPLOAD_BYTES = env_int("EVIDENCE_MAX_UPLOAD_BYTES", 20 * 1024 * 1024)
# Every upload is held in memory up to that limit and never written to disk, not even to a
# temporary file (Django's default for files over 2.5 MB); past it, the rest is dropped as
# it arrives and the form names the limit.
FILE_UPLOAD_HANDLERS = ["evidence.upload_handlers.MemoryOnlyUploadHandler"]
# Every form of ours takes one file, so what one request can make us hold is one file of
# EVIDENCE_MAX_UPLOAD_BYTES plus DATA_UPLOAD_MAX_MEMORY_SIZE of form fields; a second file is
# a 400 before it is read. Django's default (100) would allow a hundred times the memory.
DATA_UPLOAD_MAX_NUMBER_FILES = 1
# Reference-hash lookups scan every pHash and dHash held in each process (16 bytes a
# reference: 16 MB for a million), checked against PostgreSQL on every lookup so never
# stale (evidence/matching/hash_index.py); off: the indexed chunk lookup in SQL, about 10x slower.
EVIDENCE_HASH_INDEX = env_bool("EVIDENCE_HASH_INDEX", True)
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440  # Django's default, for form fields
# Not used by our upload handler. Under ASGI (leakcase/asgi.py; we deploy WSGI, gunicorn)
# Django spools a whole request body bigger than this to a temporary file before any
# handler runs: as large as the largest body we accept, so an accepted upload stays in
# memory there too. Bigger bodies are stopped by the reverse proxy (README, "Uploads").
FILE_UPLOAD_MAX_MEMORY_SIZE = EVIDENCE_MAX_UPLOAD_BYTES + DATA_UPLOAD_MAX_MEMORY_SIZE

# Fetching reported URLs (monitoring/fetcher.py, by the rule of leakcase/public_addresses.py)
# refuses private, loopback and other internal addresses. Production never sets this; tests
# and local demos use it to reach 127.0.0.1 ("127.0.0.1/32"). Comma-separated CIDRs;
# addresses inside them are allowed on any port.
try:
    FETCH_ALLOW_NETWORKS = [
        ipaddress.ip_network(cidr, strict=False)
        for cidr in env_list("LEAKCASE_FETCH_ALLOW_NETWORKS")
    ]
except ValueError as exc:
    raise ImproperlyConfigured(f"LEAKCASE_FETCH_ALLOW_NETWORKS: {exc}") from exc

# Who hosts a site (monitoring/host_lookup.py). The nameservers its DNS lookups ask, as
# "address" or "address:port", comma-separated; empty: the system's resolver. Tests point it
# at a DNS server of their own on 127.0.0.1.
DNS_NAMESERVERS = env_list("LEAKCASE_DNS_NAMESERVERS")
# One RDAP server for every RDAP query instead of the ones the IANA bootstrap files name
# (monitoring/data/rdap_bootstrap.json): a local mirror, or the tests' own server. Empty in
# production. Its address still goes through the guarded fetcher's rules.
RDAP_BASE_URL = env_str("LEAKCASE_RDAP_BASE_URL")

# Email. Without EMAIL_HOST, mail is printed to the console (local demo).
EMAIL_HOST = env_str("EMAIL_HOST")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = 20
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend",
)
# A neutral sender name: the inbox may be shared or watched.
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Case updates <updates@leakcase.invalid>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Weekly status emails (digests/): a sender name and subject that say nothing to someone
# reading over her shoulder or scanning a shared inbox.
WEEKLY_STATUS_FROM_EMAIL = env_str("WEEKLY_STATUS_FROM_EMAIL", DEFAULT_FROM_EMAIL)
# The default subject is in each reader's language (digests/messages.py translates it); a
# subject set here is sent as it is written.
WEEKLY_STATUS_SUBJECT = env_str("WEEKLY_STATUS_SUBJECT", gettext_noop("Your weekly update"))

# The address people use to reach this site, for links in emails sent by workers.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")

# Takedown notices go to platforms from their own address; replies come back to an address
# carrying the request's id (replies+<id>@...), so a forwarded answer finds its case.
NOTICE_FROM_EMAIL = env_str("NOTICE_FROM_EMAIL", "Takedown requests <notices@leakcase.invalid>")
NOTICE_REPLY_TO = env_str("NOTICE_REPLY_TO", "replies@leakcase.invalid")
NOTICE_MESSAGE_ID_DOMAIN = env_str("NOTICE_MESSAGE_ID_DOMAIN", "leakcase.invalid")
# Mail coming back (inbound/): a bigger message is not read, only sealed and quarantined.
# 25 MB is what the big mail providers accept, so no real reply is larger.
INBOUND_MAX_MESSAGE_BYTES = env_int("INBOUND_MAX_MESSAGE_BYTES", 25 * 1024 * 1024)

# Replies by email (inbound/), two ways in; either, both or neither may be on.
# 1. The replies mailbox over IMAP, polled every minute (inbound/imap.py). Off while
#    INBOUND_IMAP_HOST is empty. SSL: implicit TLS (port 993); off only for a server on the
#    same host or network (the tests' dovecot). Filed messages move to the filed folder.
INBOUND_IMAP_HOST = env_str("INBOUND_IMAP_HOST")
INBOUND_IMAP_PORT = env_int("INBOUND_IMAP_PORT", 0)  # 0: 993 with SSL, 143 without
INBOUND_IMAP_USER = env_str("INBOUND_IMAP_USER")
INBOUND_IMAP_PASSWORD = env_str("INBOUND_IMAP_PASSWORD")
INBOUND_IMAP_FOLDER = env_str("INBOUND_IMAP_FOLDER", "INBOX")
INBOUND_IMAP_FILED_FOLDER = env_str("INBOUND_IMAP_FILED_FOLDER", "Filed")
INBOUND_IMAP_SSL = env_bool("INBOUND_IMAP_SSL", True)
# 2. Providers' inbound webhooks through django-anymail (inbound/webhooks.py), at
#    /inbound/<provider>/. Each is off (404) until its secret is set, never open: Postmark and
#    SendGrid sign nothing, so they post with HTTP basic auth "user:password" in the URL
#    (INBOUND_WEBHOOK_BASIC_AUTH); Mailgun and MailerSend sign each post with a key of theirs.
ANYMAIL = {
    "WEBHOOK_SECRET": env_str("INBOUND_WEBHOOK_BASIC_AUTH"),
    "MAILGUN_WEBHOOK_SIGNING_KEY": env_str("INBOUND_MAILGUN_SIGNING_KEY"),
    "MAILERSEND_INBOUND_SECRET": env_str("INBOUND_MAILERSEND_SECRET"),
}

# Celery: Redis in production, an SQLite file through kombu's SQLAlchemy transport otherwise.
REDIS_URL = env_str("REDIS_URL")
CELERY_BROKER_URL = REDIS_URL or f"sqla+sqlite:///{VAR_DIR / 'celery-broker.sqlite3'}"
CELERY_TASK_IGNORE_RESULT = True
# acks_late and reject_on_worker_lost are set on the idempotent tasks themselves
# (monitoring.tasks.recheck_sighting), not for every task.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 60
CELERY_TASK_TIME_LIMIT = 90
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Several beats may be started (one per host): one schedules, the others stand by and take
# over when it stops (leakcase/beat.py).
CELERY_BEAT_SCHEDULER = "leakcase.beat:OneBeatScheduler"
CELERY_TIMEZONE = "UTC"

# --- Second factor, lockouts and sessions (issue 8; accounts/) ---------------------------
# One cache shared by every process: allauth marks a used TOTP code there (cache.add), so a
# code works once across all web processes; its rate limits live there too. Without Redis
# (local demo) a file cache in var/ is still shared by the processes of one machine.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "leakcase-cache",
    }
    if REDIS_URL
    else {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(VAR_DIR / "cache"),
    }
}

# Client address: REMOTE_ADDR unless TRUSTED_PROXY_COUNT proxies of ours stand in front, then
# the address the outermost of them saw (accounts/network.py). Never a raw X-Forwarded-For.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT

# Second factor (allauth.mfa): TOTP plus recovery codes; mandatory for staff
# (accounts.middleware.second_factor_required), offered to survivors.
MFA_ADAPTER = "accounts.adapter.MFAAdapter"
# TOTP secrets and recovery-code seeds are sealed with AES-GCM under a key derived (HKDF) from
# this; older values in MFA_ENCRYPTION_KEY_FALLBACKS still open (rotation).
MFA_ENCRYPTION_KEY = env_str("MFA_ENCRYPTION_KEY", SECRET_KEY)
MFA_ENCRYPTION_KEY_FALLBACKS = env_list("MFA_ENCRYPTION_KEY_FALLBACKS")
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
# Wrong login codes count toward the (account, address) lockout like wrong passwords.
MFA_FORMS = {"authenticate": "accounts.forms.LockableAuthenticateForm"}
# Only the current 30-second code: the used-code mark lasts one period, so it covers the
# code's whole life and a replay is always refused.
MFA_TOTP_TOLERANCE = 0
# What her authenticator app shows: nothing that names this service.
MFA_TOTP_ISSUER = env_str("MFA_TOTP_ISSUER", "Case updates")
# Email verification is optional here (ACCOUNT_EMAIL_VERIFICATION), and staff accounts made by
# an admin have no verified address; allauth would otherwise refuse them a second factor.
MFA_ALLOW_UNVERIFIED_EMAIL = True
# Password reset never logs in: the login after it still asks for the code.
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
# Changing email, password or second factor asks for the password (or code) again unless she
# entered it in the last five minutes.
ACCOUNT_REAUTHENTICATION_REQUIRED = True
ACCOUNT_REAUTHENTICATION_TIMEOUT = 300
MFA_REAUTHENTICATION_REQUIRED = True
# allauth's own failed-login limit is per address only: its per-account part would let a flood
# from one address lock a survivor out everywhere. django-axes limits (account, address).
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip"}

# Lockouts (django-axes): 5 failures for one (account, address) lock that pair for 15 minutes.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_CALLABLE = "accounts.network.login_identifier"
AXES_CLIENT_IP_CALLABLE = "accounts.network.client_ip"
AXES_CLIENT_STR_CALLABLE = "accounts.network.client_description"
AXES_LOCKOUT_CALLABLE = "accounts.views.lockout"  # our page (account/lockout.html), 429
# The login (an email address) stays out of the stored request data and out of the logs.
AXES_SENSITIVE_PARAMETERS = ["login", "email", "username", "password", "code"]
AXES_VERBOSE = False
# No table of every successful login by email address; logins go to the audit trail (audit/).
AXES_DISABLE_ACCESS_LOG = True

# Sessions: in the database, so logout and "end my other sessions" really delete them.
# accounts.middleware.session_limits ends a session after SESSION_IDLE_TIMEOUT seconds
# without a request and SESSION_ABSOLUTE_LIFETIME seconds after login, whatever happens.
SESSION_IDLE_TIMEOUT = env_int("SESSION_IDLE_TIMEOUT", 30 * 60)
SESSION_ABSOLUTE_LIFETIME = env_int("SESSION_ABSOLUTE_LIFETIME", 12 * 60 * 60)
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_LIFETIME

# The name on every browser tab and in the history: says nothing to someone looking over her
# shoulder. Page titles add only a neutral word or two ("Sign in", "Case").
SITE_TITLE = env_str("SITE_TITLE", "Case updates")

# Whether survivors may draft and send takedown requests themselves (a guided form in the
# first person, takedowns.views). Off by default: her caseworker drafts and sends them, and
# she follows each on her own request page.
LEAKCASE_SURVIVOR_SELF_SERVICE = env_bool("LEAKCASE_SURVIVOR_SELF_SERVICE", False)

# Where "Quick exit" goes: a neutral, ordinary-looking page.
QUICK_EXIT_URL = env_str("QUICK_EXIT_URL", "https://www.bbc.co.uk/weather")

# The deployment's helpline and emotional-support contacts, in every survivor page's footer
# and after a distressing step (templates/_support.html): "name | phone or https://address |
# hours", entries separated by ";". None by default: the footer then gives a generic line,
# never a made-up number.
try:
    SUPPORT_CONTACTS = parse_support_contacts(env_str("LEAKCASE_SUPPORT_CONTACTS"))
except ValueError as exc:
    raise ImproperlyConfigured(f"LEAKCASE_SUPPORT_CONTACTS: {exc}") from exc

# Every line carries the request id (leakcase.middleware.request_id). leakcase.logs.redact is
# a belt on the handler and on the loggers that write request paths themselves: our code
# does not log survivors' addresses, emails, hashes, notes or tokens (tests/test_logs.py).
# LOG_FORMAT=json: one JSON object a line (time, level, logger, message, request_id,
# exception) for a log collector; redacted the same way as the plain lines.
LOG_FORMAT = env_str("LOG_FORMAT", "plain")
if LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT is 'plain' or 'json', not {LOG_FORMAT!r}")
_REDACTED_LOGGERS = ("django.request", "django.server", "django.security.csrf", "celery", "axes")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "leakcase.logs.RequestIdFilter"},
        "redact": {"()": "leakcase.logs.RedactFilter"},
        "no_traceback": {"()": "leakcase.logs.NoTracebackFilter"},
    },
    "formatters": {
        "plain": {
            "()": "leakcase.logs.RedactingFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s",
        },
        "json": {"()": "leakcase.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id", "redact"],
            "formatter": LOG_FORMAT,
        }
    },
    "loggers": {
        **{name: {"filters": ["redact"]} for name in _REDACTED_LOGGERS},
        "django.template": {"filters": ["no_traceback"]},
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}

# /metrics (leakcase/metrics.py): Prometheus sends this as a bearer token. Unset, only a
# signed-in supervisor may read it. Long and random: it is the scraper's only credential.
METRICS_TOKEN = env_str("METRICS_TOKEN", "")
if METRICS_TOKEN and len(METRICS_TOKEN) < 32:
    raise ImproperlyConfigured("METRICS_TOKEN must be at least 32 characters (or unset)")
