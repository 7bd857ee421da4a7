"""Settings for the log store, read once from the environment.

Every variable is optional for local use; a value that cannot be parsed stops start-up with a
message naming the variable.
"""

import os
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from project.env import env, envbool, envint, envlist, envrate

BASE_DIR = Path(__file__).resolve().parent.parent

# --- Core ------------------------------------------------------------------------------------
DEBUG = envbool("DEBUG", False)
SECRET_KEY = env("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG and envbool("REQUIRE_SECRET_KEY", False):
        raise ImproperlyConfigured("SECRET_KEY must be set")
    # Local runs get a stable key kept beside the SQLite database, so sessions survive restarts.
    _key_file = BASE_DIR / "var" / "secret_key"
    if _key_file.exists():
        SECRET_KEY = _key_file.read_text().strip()
    else:
        from django.core.management.utils import get_random_secret_key

        SECRET_KEY = get_random_secret_key()
        try:
            _key_file.parent.mkdir(exist_ok=True)
            _key_file.write_text(SECRET_KEY)
        except OSError:
            pass

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_tasks_db",
    "logstore",
    "ingest",
]

MIDDLEWARE = [
    "logstore.observability.health.ProbeMiddleware",
    "logstore.observability.requestid.RequestIdMiddleware",
    "logstore.observability.requestlog.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "logstore.observability.health.DatabaseUnavailableMiddleware",
    "ingest.accounting.IngestAccountingMiddleware",
]

ROOT_URLCONF = "project.urls"
WSGI_APPLICATION = "project.wsgi.application"
ASGI_APPLICATION = "project.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DEFAULT_SQLITE_PATH = BASE_DIR / "var" / "db.sqlite3"
_database_url = env("DATABASE_URL") or f"sqlite:///{DEFAULT_SQLITE_PATH}"
try:
    _db = dj_database_url.parse(_database_url)
except Exception as exc:  # dj-database-url raises several types for one problem: a bad URL
    raise ImproperlyConfigured(f"DATABASE_URL is not a valid database URL: {exc}") from None
if not _db.get("ENGINE"):
    raise ImproperlyConfigured(f"DATABASE_URL has an unsupported scheme: {_database_url!r}")

if _db["ENGINE"] == "django.db.backends.sqlite3":
    if _db["NAME"] and _db["NAME"] != ":memory:":
        Path(_db["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    _db["OPTIONS"] = {
        # Several gunicorn workers write to one file: WAL lets readers run beside the writer,
        # IMMEDIATE takes the write lock at BEGIN so two writers queue instead of deadlocking.
        "transaction_mode": "IMMEDIATE",
        "timeout": envint("SQLITE_BUSY_TIMEOUT", 20),
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # Tests on a file, not in memory: a shared-cache in-memory database locks whole tables
    # without waiting for the busy timeout, so a page polled while the live server's other
    # thread writes fails at random ("database table is locked").
    _db["TEST"] = {"NAME": env("SQLITE_TEST_NAME") or str(BASE_DIR / "var" / "test.sqlite3")}
elif _db["ENGINE"] == "django.db.backends.postgresql":
    from psycopg_pool import ConnectionPool

    # PostgreSQL refuses every connection that asks for more than 1000.
    DB_IO_CONCURRENCY = envint("DB_IO_CONCURRENCY", 64, maximum=1000)

    _db["OPTIONS"] = {
        # No JIT: over a month of partitions a page's estimates pass jit_above_cost, and
        # compiling took ~460 ms of a 470 ms admin search whose execution took 7 ms.
        # Bitmap heap scans ask for this many pages ahead (PostgreSQL's default, 1, reads a
        # cold metadata page's scattered rows one at a time): SSDs and network disks serve
        # reads in parallel. 0 turns prefetching off, for a single spinning disk.
        "options": f"-c jit=off -c effective_io_concurrency={DB_IO_CONCURRENCY}",
    }
    _db["OPTIONS"] |= (
        {
            "pool": {
                "min_size": envint("DB_POOL_MIN_SIZE", 1),
                # One connection per gunicorn thread (gunicorn.conf.py), so none waits.
                "max_size": envint("DB_POOL_MAX_SIZE", 8, minimum=1),
                "timeout": envint("DB_POOL_TIMEOUT", 10, minimum=1),
                # A connection that died with a database restart is replaced, not handed out.
                "check": ConnectionPool.check_connection,
            }
        }
        if envbool("DB_POOL", True)
        else {}
    )
    _db["CONN_MAX_AGE"] = 0 if envbool("DB_POOL", True) else 60
    _db["CONN_HEALTH_CHECKS"] = not envbool("DB_POOL", True)
DATABASES = {"default": _db}

# --- ClickHouse (optional) ------------------------------------------------------------------
# Set, logs live in ClickHouse (http[s]://user:pass@host:8123/database, or chdb:///data/dir
# for the in-process engine); workspaces, keys and everything else stay in DATABASE_URL.
CLICKHOUSE_URL = env("CLICKHOUSE_URL")
if CLICKHOUSE_URL and urlsplit(CLICKHOUSE_URL).scheme not in {"http", "https", "chdb"}:
    raise ImproperlyConfigured(
        f"CLICKHOUSE_URL must start with http://, https:// or chdb://, got {CLICKHOUSE_URL!r}"
    )
# A cluster name makes the ClickHouse migrations create ReplicatedMergeTree tables behind a
# Distributed table, ON CLUSTER (docs/clickhouse.md). Empty: one server.
CLICKHOUSE_CLUSTER = env("CLICKHOUSE_CLUSTER")

# --- Auth, i18n, static ---------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"] if (BASE_DIR / "static").is_dir() else []
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_ROOT = Path(env("MEDIA_ROOT") or BASE_DIR / "var" / "media")

# --- Security -------------------------------------------------------------------------------
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", False)
SESSION_COOKIE_SECURE = envbool("SESSION_COOKIE_SECURE", not DEBUG and SECURE_SSL_REDIRECT)
CSRF_COOKIE_SECURE = envbool("CSRF_COOKIE_SECURE", SESSION_COOKIE_SECURE)
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 0)
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if envbool("TRUST_X_FORWARDED_PROTO", False) else None
)
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", False)
# Scripts run only from our own files or with this response's nonce ({{ csp_nonce }}), so an
# injected <script> or onclick= in a rendered log does nothing. Inline style attributes stay
# allowed: they cannot run code, and the admin uses them.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}

# --- API: ingest limits, rate limits, documentation ------------------------------------------
# Real LLM logs carry long conversations and base64 images: tens of MB per request is normal.
LOGSTORE_MAX_BODY_BYTES = envint("LOGSTORE_MAX_BODY_BYTES", 50 * 1024 * 1024, minimum=1024)
LOGSTORE_MAX_BATCH_ITEMS = envint("LOGSTORE_MAX_BATCH_ITEMS", 1000, minimum=1)
LOGSTORE_MASKED_HEADERS = envlist(
    "LOGSTORE_MASKED_HEADERS",
    [
        "authorization",
        "proxy-authorization",
        "x-api-key",
        "api-key",
        "x-portkey-api-key",
        "x-goog-api-key",
        "cookie",
        "set-cookie",
    ],
)
# Bounds every form (login, admin, web). The API reads its bodies itself, up to
# LOGSTORE_MAX_BODY_BYTES, and answers over that with its own JSON 413.
DATA_UPLOAD_MAX_MEMORY_SIZE = envint(
    "DATA_UPLOAD_MAX_MEMORY_SIZE", 2 * 1024 * 1024, minimum=64 * 1024
)

# Requests per API key, across all endpoints and all workers: a guard against runaway clients,
# set high enough that a busy application is never refused.
LOGSTORE_RATE_LIMIT = envrate("LOGSTORE_RATE_LIMIT", "6000/min")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["ingest.authentication.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["ingest.permissions.HasScope"],
    "DEFAULT_PARSER_CLASSES": ["ingest.parsers.LogJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "EXCEPTION_HANDLER": "ingest.errors.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["ingest.throttling.ApiKeyRateThrottle"],
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_SCHEMA_CLASS": "ingest.schema.LogstoreAutoSchema",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Log store API",
    "DESCRIPTION": "Portkey-compatible logs, exports and feedback. Every path is also served "
    "under /v1. Authenticate with the x-portkey-api-key header (or Authorization: Bearer).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Swagger UI would otherwise fetch a validity badge from validator.swagger.io.
    "SWAGGER_UI_SETTINGS": {
        "deepLinking": True,
        "persistAuthorization": True,
        "validatorUrl": None,
    },
    "PREPROCESSING_HOOKS": ["ingest.openapi.clean_api_paths"],
}

# --- Observability: logs, metrics, refused requests, usage -----------------------------------
LOG_FORMAT = env("LOG_FORMAT", "json")
if LOG_FORMAT not in {"json", "text"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be json or text, got {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "logstore.observability.requestlog.RequestIdFilter"}},
    "formatters": {
        "plain": {
            "()": "logstore.observability.requestlog.TextFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s",
        },
        "json": {"()": "logstore.observability.requestlog.JSONFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain" if LOG_FORMAT == "text" else "json",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

LOGSTORE_METRICS_TOKEN = env("LOGSTORE_METRICS_TOKEN")
LOGSTORE_REJECTED_KEEP = envint("LOGSTORE_REJECTED_KEEP", 10_000, minimum=1)
LOGSTORE_REJECTED_DAYS = envint("LOGSTORE_REJECTED_DAYS", 30, minimum=1)
LOGSTORE_REJECTED_EXCERPT_CHARS = envint("LOGSTORE_REJECTED_EXCERPT_CHARS", 1000, minimum=100)
# prometheus_client (multiprocess mode, set by gunicorn.conf.py) writes every sample to files
# in this directory from the first metric defined, so it must exist before the app loads.
PROMETHEUS_MULTIPROC_DIR = env("PROMETHEUS_MULTIPROC_DIR")
if PROMETHEUS_MULTIPROC_DIR:
    try:
        os.makedirs(PROMETHEUS_MULTIPROC_DIR, exist_ok=True)
    except OSError as exc:
        raise ImproperlyConfigured(
            f"PROMETHEUS_MULTIPROC_DIR={PROMETHEUS_MULTIPROC_DIR!r} cannot be created "
            f"({exc.strerror}); point it at a writable directory, or unset it."
        ) from None

# --- Background tasks and exports ------------------------------------------------------------
# Export jobs: a database-backed queue, so no broker to run; `manage.py db_worker` works it.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# How long a download link from GET /logs/exports/{id}/download stays valid.
LOGSTORE_EXPORT_URL_MAX_AGE = envint("LOGSTORE_EXPORT_URL_MAX_AGE", 3600, minimum=1)

# --- Benchmarks -----------------------------------------------------------------------------
# An unauthenticated no-database endpoint under /bench/ for `make bench`; never in production.
LOGSTORE_BENCH_ENDPOINTS = envbool("LOGSTORE_BENCH_ENDPOINTS", False)
