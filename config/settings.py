"""Houqin settings: one module, every value from the environment.

Production differs from development only by environment variables (see README.md).
"""

from datetime import timedelta
from email.utils import getaddresses
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()

# Local state of `./dev` (embedded PostgreSQL, media, file cache, broker); HOUQIN_DEV_DIR moves it.
DATA_DIR = Path(env.str("HOUQIN_DEV_DIR", default=str(BASE_DIR / ".data")))

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="dev-insecure-houqin-secret-key-change-me-in-production-0123456789")
BASE_DOMAIN = env.str("BASE_DOMAIN", default="localhost")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[BASE_DOMAIN, f".{BASE_DOMAIN}", "127.0.0.1"])
DEMO_PASSWORD = env.str("DEMO_PASSWORD", default="houqin-demo")
# The scheme and port used when Houqin prints or e-mails a URL of one of its hosts.
SITE_SCHEME = env.str("SITE_SCHEME", default="http")
SITE_PORT = env.str("SITE_PORT", default=env.str("PORT", default="8000"))

# --- tenancy -------------------------------------------------------------------------------------
SHARED_APPS = [
    # `tenants` first: its migrate/migrate_schemas commands also keep the template schema current.
    "tenants",
    "django_tenants",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    # Failed sign-ins, public schema only (tenants/throttle.py).
    "axes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.admin",
    "django.contrib.humanize",
    "pgtrigger",
    "pghistory",
    # `api` before strawberry_django: its export_schema command writes graphql/schema.graphql.
    "api",
    "strawberry_django",
    "django_filters",
    "reporting",
    # Background jobs (exports, documents, imports) with their progress: public schema (jobs/models.py).
    "jobs",
    "frontend",
]
TENANT_APPS = [
    "django.contrib.contenttypes",
    "pghistory",
    "schools",
    "assets",
    "repairs",
    "safety",
]
INSTALLED_APPS = list(SHARED_APPS) + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "tenants.School"
TENANT_DOMAIN_MODEL = "tenants.Domain"
# New schools are cloned from this migrated template schema instead of migrated from zero
# (bench/provisioning.py measures both).
TENANT_BASE_SCHEMA = "school_template"
# New schools replay a SQL snapshot of the template (tenants/snapshot.py); off = django-tenants' clone.
TENANT_SNAPSHOT = env.bool("TENANT_SNAPSHOT", default=True)
# Spare schemas replayed ahead of time (tenants.snapshot.spares_fill): a new school renames one.
TENANT_SPARE_SCHEMAS = env.int("TENANT_SPARE_SCHEMAS", default=0)
TENANT_CREATION_FAKES_MIGRATIONS = True
# One `SET search_path` per request, not per cursor.
TENANT_LIMIT_SET_CALLS = True
DATABASE_ROUTERS = ["django_tenants.routers.TenantSyncRouter"]
PUBLIC_SCHEMA_URLCONF = "config.urls_public"
ROOT_URLCONF = "config.urls_school"

DATABASES = {
    "default": env.db_url("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/houqin"),
}
DATABASES["default"]["ENGINE"] = "tenants.postgresql_backend"
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
DATABASES["default"].setdefault("TEST", {})["NAME"] = env.str(
    "TEST_DATABASE_NAME", default=f"test_{DATABASES['default']['NAME']}"
)  # one test database per development database, so parallel checkouts do not collide
# Optional read replica: reporting reads go to it through config.routers.ReplicaRouter.
REPLICA_DATABASE_URL = env.str("REPLICA_DATABASE_URL", default="")
REPLICA_READ_APPS = ["reporting"]
if REPLICA_DATABASE_URL:
    DATABASES["replica"] = env.db_url("REPLICA_DATABASE_URL")
    DATABASES["replica"].update(
        ENGINE="tenants.postgresql_backend", CONN_MAX_AGE=DATABASES["default"]["CONN_MAX_AGE"],
        TEST={"MIRROR": "default"},
    )
    DATABASE_ROUTERS = ["config.routers.ReplicaRouter", *DATABASE_ROUTERS]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "tenants.User"
# Axes first: a locked account or address is refused before any password is checked.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "tenants.backends.PhoneOrUsernameBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if env.bool("FAST_PASSWORD_HASHER", default=False):  # tests only: argon2 costs ~50 ms a hash
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

MIDDLEWARE = [
    # First: every log line of the request carries its id (config/logs.py).
    "tenants.middleware.RequestIdMiddleware",
    "frontend.middleware.HealthCheckMiddleware",
    "tenants.middleware.TenantRoutingMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "frontend.middleware.DefaultChineseLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "tenants.middleware.HostBoundSessionMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "tenants.middleware.HistoryContextMiddleware",
    # Last: turns a sign-in refused by axes into tenants.throttle.lockout_response.
    "axes.middleware.AxesMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "frontend" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "frontend.context_processors.navigation",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

# --- i18n ---------------------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "frontend" / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# --- static and media ----------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))
# frontend/static is found as the frontend app's static folder (listing it again collected it twice).
STORAGES = {
    # Per-school media under MEDIA_ROOT/<schema>/ (django-tenants' storage); served only through
    # permission-checked views, never as plain static files.
    "default": {"BACKEND": "django_tenants.files.storage.TenantFileSystemStorage"},
    # Names carry a hash of the content (css/houqin.3f2a….css, from the manifest collectstatic writes),
    # so nginx may cache /static/ for a year and a release still serves its own CSS and JS.
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Media on an S3 API instead (MinIO, OSS, S3) when MEDIA_S3_BUCKET is set: private objects under
# <MEDIA_S3_PREFIX>/<schema>/ (core/storage.py), reached only through the same permission-checked views.
MEDIA_S3_BUCKET = env.str("MEDIA_S3_BUCKET", default="")
if MEDIA_S3_BUCKET:
    STORAGES["default"] = {
        "BACKEND": "core.storage.SchoolS3Storage",
        "OPTIONS": {
            "bucket_name": MEDIA_S3_BUCKET,
            "endpoint_url": env.str("MEDIA_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("MEDIA_S3_REGION", default="") or None,
            # Empty: boto3's own chain (environment, instance or pod role).
            "access_key": env.str("MEDIA_S3_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("MEDIA_S3_SECRET_ACCESS_KEY", default="") or None,
            "location": env.str("MEDIA_S3_PREFIX", default=""),
            # MinIO and most S3-compatible servers: path style; OSS and AWS: virtual.
            "addressing_style": env.str("MEDIA_S3_ADDRESSING_STYLE", default="path"),
            "signature_version": "s3v4",
        },
    }
WHITENOISE_USE_FINDERS = DEBUG
# Only the hashed copies are kept (and compressed): half the work of collectstatic on every `./dev up`.
WHITENOISE_KEEP_ONLY_HASHED_FILES = True
# Files served at the site's root by convention: /favicon.ico.
WHITENOISE_ROOT = BASE_DIR / "frontend" / "root"
MEDIA_ROOT = env.str("MEDIA_ROOT", default=str(DATA_DIR / "media"))
MEDIA_URL = "/media/"
MULTITENANT_RELATIVE_MEDIA_ROOT = "%s"
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=20 * 1024 * 1024)

# --- cache: keys carry the schema, so school A never reads school B's entries -------------------
REDIS_URL = env.str("REDIS_URL", default="")
if env.str("CACHE_BACKEND", default="") == "locmem":  # tests
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
elif REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": env.str("CACHE_DIR", default=str(DATA_DIR / "cache")),
        }
    }
CACHES["default"]["KEY_FUNCTION"] = "django_tenants.cache.make_key"
CACHES["default"]["REVERSE_KEY_FUNCTION"] = "django_tenants.cache.reverse_key"

# --- sessions and security ----------------------------------------------------------------------
# Host-only cookies: no SESSION_COOKIE_DOMAIN, so a school's cookie is never sent to another host.
SESSION_COOKIE_DOMAIN = None
CSRF_COOKIE_DOMAIN = None
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=12 * 3600)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=not DEBUG and SITE_SCHEME == "https")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# The client's address behind reverse proxies (core/net.py). 0 trusts none: X-Forwarded-For is
# ignored. nginx in front: 1. TRUSTED_PROXIES (addresses or networks of the proxies), when set, is
# required of REMOTE_ADDR before X-Forwarded-For is read.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
# Sign-in throttling by django-axes (tenants/throttle.py): failures per account (every alias, every
# host, /admin/ too) and per client address, within the lockout window after the last failure.
LOGIN_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
LOGIN_IP_FAILURE_LIMIT = env.int("LOGIN_IP_FAILURE_LIMIT", default=30)
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(seconds=env.int("LOGIN_LOCKOUT_SECONDS", default=900))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # this order: tenants.throttle.SignInHandler
AXES_HANDLER = "tenants.throttle.SignInHandler"
AXES_USERNAME_CALLABLE = "tenants.throttle.account_key"
AXES_CLIENT_IP_CALLABLE = "core.net.client_ip"
AXES_LOCKOUT_CALLABLE = "tenants.throttle.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429
AXES_RESET_ON_SUCCESS = True
# Guesses at a locked account are refused without being counted, so the lock ends on time.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_DISABLE_ACCESS_LOG = True  # successful sign-ins are kept by tenants.UserSession, not a second log
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "script-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

# --- e-mail --------------------------------------------------------------------------------------
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env.str("EMAIL_HOST", default="")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="houqin@localhost")
EMAIL_ENABLED = env.bool("EMAIL_ENABLED", default=bool(EMAIL_HOST))
# Text messages (invitations, password links) through a provider class with send(phone, text) -> id
# (tenants/sms.py). The default keeps each message for the platform operator (admin) and sends nothing.
SMS_BACKEND = env.str("SMS_BACKEND", default="tenants.sms.LocalSmsBackend")
# At most this many invitations a day from one school or bureau to one phone number (each may be a text).
INVITATIONS_PER_PHONE_PER_DAY = env.int("INVITATIONS_PER_PHONE_PER_DAY", default=5)

# --- outbound requests (core/outbound.py: robots, webhooks, ping) ---------------------------------
# Plain http only in development: unset, it follows DEBUG at run time. Hosts listed in
# OUTBOUND_ALLOWED_HOSTS skip the inside-address check (tests deliver to 127.0.0.1); empty in production.
OUTBOUND_ALLOW_HTTP = env.bool("OUTBOUND_ALLOW_HTTP", default=None)
OUTBOUND_ALLOWED_HOSTS = env.list("OUTBOUND_ALLOWED_HOSTS", default=[])

# --- Celery ---------------------------------------------------------------------------------------
if REDIS_URL:
    CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
    # An unacknowledged task (its worker died) is delivered again after this many seconds.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)}
else:
    _broker_dir = Path(env.str("CELERY_BROKER_DIR", default=str(DATA_DIR / "broker")))
    CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
    }
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="") or None
CELERY_BEAT_SCHEDULE_FILENAME = env.str("CELERY_BEAT_SCHEDULE_FILENAME", default=str(DATA_DIR / "celerybeat-schedule"))
# Queues per workload, so a nightly recompute of 2,000 schools never holds back a webhook or a
# notification. A plain worker consumes every queue (./dev up, compose); a deployment can run one worker
# pool per queue with `-Q metrics` and so on (infra/SCALING.md).
from kombu import Queue  # noqa: E402

CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_QUEUES = [Queue(name) for name in ("celery", "metrics", "webhooks", "notifications")]
CELERY_TASK_ROUTES = {
    "reporting.tasks.*": {"queue": "metrics"},
    "api.tasks.*": {"queue": "webhooks"},
    "tenants.tasks.notification_*": {"queue": "notifications"},
    "repairs.tasks.robot_message_post_task": {"queue": "notifications"},
}
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
METRICS_REFRESH_DEBOUNCE_SECONDS = env.float("METRICS_REFRESH_DEBOUNCE_SECONDS", default=1.0)
# Exports and imports of more rows than this are made by a background job (jobs/background.py); PDF and
# DOCX documents always are. A job's file is kept this many hours, then the hourly clean-up deletes it.
JOBS_BACKGROUND_ROWS = env.int("JOBS_BACKGROUND_ROWS", default=500)
JOBS_RESULT_HOURS = env.int("JOBS_RESULT_HOURS", default=24)
# The staff and category imports write more per row than an export reads (checks, invitations, history
# triggers): a sheet of more rows than this is imported by a background job. bench/bench_jobs.py measured
# 55-66 ms a staff row on a loaded 2-core machine, so 20 rows stay near a second in the request.
JOBS_IMPORT_INLINE_ROWS = env.int("JOBS_IMPORT_INLINE_ROWS", default=20)

# --- GraphQL ------------------------------------------------------------------------------------
GRAPHQL_MAX_DEPTH = env.int("GRAPHQL_MAX_DEPTH", default=10)
GRAPHQL_MAX_ALIASES = env.int("GRAPHQL_MAX_ALIASES", default=15)
GRAPHQL_MAX_TOKENS = env.int("GRAPHQL_MAX_TOKENS", default=2000)
GRAPHQL_MAX_PAGE_SIZE = 100
STRAWBERRY_DJANGO = {
    "FIELD_DESCRIPTION_FROM_HELP_TEXT": True,
    "TYPE_DESCRIPTION_FROM_MODEL_DOCSTRING": True,
    "PAGINATION_DEFAULT_LIMIT": GRAPHQL_MAX_PAGE_SIZE,
}

# --- history ------------------------------------------------------------------------------------
# Event tables refuse UPDATE and DELETE (a pgtrigger Protect trigger on each): history is append-only.
PGHISTORY_APPEND_ONLY = True
# The key of the history seals (HMAC-SHA256, tenants/integrity.py). It never enters the database, so a
# DBA cannot recompute a seal. Empty: derived from SECRET_KEY for this purpose (development only).
HISTORY_SEAL_KEY = env.str("HISTORY_SEAL_KEY", default="")
# After a rotation: the keys that made older seals, still accepted when verifying (comma-separated).
HISTORY_SEAL_OLD_KEYS = env.list("HISTORY_SEAL_OLD_KEYS", default=[])
# Append-only log of the seal heads, outside the database (in production: an append-only mount or
# a directory shipped to another host).
HISTORY_ANCHOR_DIR = env.str("HISTORY_ANCHOR_DIR", default=str(Path(MEDIA_ROOT).parent / "anchors"))
# Addresses that also receive each day's seal heads by e-mail (the bureau's audit mailbox).
HISTORY_ANCHOR_EMAILS = env.list("HISTORY_ANCHOR_EMAILS", default=[])

METRICS_TOKEN = env.str("METRICS_TOKEN", default="")

# --- logs and errors (config/logs.py) --------------------------------------------------------------
# Every line carries the request id (X-Request-ID, also in the tasks a request starts); a refusal is one
# line without traceback. LOG_FORMAT=json in production: one JSON object a line for the log collector.
from config.logs import logging_config, sentry_init  # noqa: E402

LOG_FORMAT = env.str("LOG_FORMAT", default="text")
LOGGING = logging_config(log_format=LOG_FORMAT, level=env.str("LOG_LEVEL", default="WARNING"))
# Who is e-mailed each server error (outside DEBUG): ADMINS="Name <a@example.cn>,Other <b@example.cn>".
ADMINS = [(name, address) for name, address in getaddresses(env.list("ADMINS", default=[])) if address]
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Error reports to Sentry or GlitchTip when SENTRY_DSN is set (no personal data is sent).
SENTRY_DSN = env.str("SENTRY_DSN", default="")
sentry_init(
    dsn=SENTRY_DSN,
    environment=env.str("SENTRY_ENVIRONMENT", default="production"),
    release=env.str("SENTRY_RELEASE", default=""),
    traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
)
