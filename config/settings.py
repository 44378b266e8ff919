"""Settings for a Vínculo node or hub, read from the environment (see .env.example).

Development defaults are safe and need nothing installed: SQLite under var/, console
e-mail, a per-checkout secret key. With VINCULO_ENVIRONMENT=production every value
that has no safe default must be given, or start-up stops with a message naming it.
"""

from __future__ import annotations

import re
import secrets
import zoneinfo
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from config.env import Env, parse_database_url, validate_node_id

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = Env()

ENVIRONMENT = env.choice("VINCULO_ENVIRONMENT", "development", ["development", "production"])
IS_PRODUCTION = ENVIRONMENT == "production"
DEBUG = env.bool("VINCULO_DEBUG", False)
if IS_PRODUCTION and DEBUG:
    raise ImproperlyConfigured("VINCULO_DEBUG cannot be true when VINCULO_ENVIRONMENT=production.")

# --- The node ------------------------------------------------------------------------
NODE_ROLE = env.choice("VINCULO_NODE_ROLE", "office", ["office", "hub"])
NODE_ID = validate_node_id(
    env.required_str(
        "VINCULO_NODE_ID",
        "SV-FGR" if NODE_ROLE == "office" else "CCCMP-HUB",
        required=IS_PRODUCTION,
    )
)
if NODE_ROLE == "hub" and not NODE_ID.endswith("-HUB"):
    raise ImproperlyConfigured(f"A hub's VINCULO_NODE_ID must end in -HUB; got {NODE_ID!r}.")
if NODE_ROLE == "office" and NODE_ID.endswith("-HUB"):
    raise ImproperlyConfigured(f"An office node's VINCULO_NODE_ID cannot end in -HUB; got {NODE_ID!r}.")

# Demo mode seeds synthetic users and may waive their second factor; never in production.
DEMO_MODE = env.bool("VINCULO_DEMO", False)
if DEMO_MODE and IS_PRODUCTION:
    raise ImproperlyConfigured("VINCULO_DEMO cannot be true when VINCULO_ENVIRONMENT=production.")


def _development_secret_key() -> str:
    """A random key kept in var/ so development sessions survive restarts; never used in production."""
    path = VAR_DIR / "development-secret-key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


SECRET_KEY = env.secret("VINCULO_SECRET_KEY", required=IS_PRODUCTION) or _development_secret_key()
SECRET_KEY_FALLBACKS = env.list("VINCULO_SECRET_KEY_FALLBACKS")
if IS_PRODUCTION and len(SECRET_KEY) < 40:
    raise ImproperlyConfigured("VINCULO_SECRET_KEY must be at least 40 characters long.")

ALLOWED_HOSTS = env.list("VINCULO_ALLOWED_HOSTS", [] if IS_PRODUCTION else ["127.0.0.1", "localhost", "[::1]"])
if IS_PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("VINCULO_ALLOWED_HOSTS must be set (the host names the node is served on).")
CSRF_TRUSTED_ORIGINS = env.list("VINCULO_CSRF_TRUSTED_ORIGINS")
# Addresses of the reverse proxies whose X-Forwarded-For is believed (for audit's client address).
TRUSTED_PROXIES = frozenset(env.list("VINCULO_TRUSTED_PROXIES"))

# --- Applications ------------------------------------------------------------------
INSTALLED_APPS = [
    "vinculo.core",
    "vinculo.accounts",
    "vinculo.evidence",  # before audit: its flush command (which extends audit's) must be the one found
    "vinculo.audit",
    "vinculo.reference",
    "vinculo.cases",
    "vinculo.vault",
    "vinculo.web",
    "vinculo.api",
    "vinculo.demo",
    "vinculo.federation",
    "vinculo.messaging",
    "vinculo.exchanges",
    "vinculo.notifications",
    "vinculo.matching",
    "vinculo.statistics",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_tasks_db",
    "ninja",
]

MIDDLEWARE = [
    "vinculo.core.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "vinculo.core.middleware.SecurityHeadersMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "vinculo.accounts.middleware.UserLanguageMiddleware",
    "vinculo.accounts.middleware.IdleTimeoutMiddleware",
    "vinculo.accounts.middleware.AccountStateMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "vinculo.web.context_processors.shell",
            ],
        },
    },
]

# --- Database ----------------------------------------------------------------------
_database_url = env.required_str("DATABASE_URL", "sqlite:///var/vinculo.sqlite3", required=IS_PRODUCTION)
_database = parse_database_url(_database_url)
if _database.engine == "django.db.backends.sqlite3":
    _sqlite_path = Path(_database.name)
    if not _sqlite_path.is_absolute():
        _sqlite_path = BASE_DIR / _sqlite_path
    _sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": _database.engine,
            "NAME": _sqlite_path,
            "OPTIONS": {
                # IMMEDIATE: a write transaction takes the lock when it starts, so two writers
                # never both read the audit chain head and then collide on commit.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
            "CONN_MAX_AGE": env.int("DATABASE_CONN_MAX_AGE", 60, minimum=0),
            "TEST": {"NAME": None},
        }
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": _database.engine,
            "NAME": _database.name,
            "USER": _database.user,
            "PASSWORD": env.secret("DATABASE_PASSWORD") or _database.password,
            "HOST": _database.host,
            "PORT": _database.port,
            "CONN_MAX_AGE": env.int("DATABASE_CONN_MAX_AGE", 60, minimum=0),
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": dict(_database.options),
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Identity vault ----------------------------------------------------------------------
# The keyring file (mode 0600) that encrypts names, documents and contacts; never in the database.
VAULT_KEYRING_FILE = env.required_str(
    "VINCULO_VAULT_KEYRING_FILE", str(VAR_DIR / "vault-keyring.json"), required=IS_PRODUCTION
)

# --- Federation --------------------------------------------------------------------
# The node's signing and encryption keys (files, mode 0600; never in the database).
FEDERATION_KEY_DIR = Path(env.required_str("VINCULO_FEDERATION_KEY_DIR", str(VAR_DIR / "keys"), required=IS_PRODUCTION))
# How long a node's old keys stay valid after `vinculo keys rotate` (peers catch up meanwhile).
KEY_OVERLAP_DAYS = env.int("VINCULO_KEY_OVERLAP_DAYS", 7, minimum=1, maximum=90)
# An office node fetches the signed network directory from the hub and checks it against the
# hub's signing-key thumbprint, pinned at install (docs/adr/0015-network-directory-and-key-pinning.md).
_needs_hub = IS_PRODUCTION and NODE_ROLE == "office"
HUB_URL = env.str("VINCULO_HUB_URL") or ""
HUB_KEY = env.str("VINCULO_HUB_KEY") or ""
if _needs_hub and not HUB_URL:
    raise ImproperlyConfigured("VINCULO_HUB_URL must be set (the hub's address, https://...).")
if _needs_hub and not HUB_KEY:
    raise ImproperlyConfigured("VINCULO_HUB_KEY must be set (the hub's signing-key thumbprint, given at install).")
if HUB_URL and not re.fullmatch((r"https" if IS_PRODUCTION else r"https?") + r"://[^\s/?#]+(/[^\s?#]*)?", HUB_URL):
    raise ImproperlyConfigured(
        f"VINCULO_HUB_URL must be the hub's address (https://host[:port]/[path], no query); got {HUB_URL!r}."
    )
if HUB_KEY and not re.fullmatch(r"[A-Za-z0-9_-]{43}", HUB_KEY):
    raise ImproperlyConfigured(
        f"VINCULO_HUB_KEY must be a key thumbprint (43 base64url characters, from `vinculo keys show` on the hub); "
        f"got {HUB_KEY!r}."
    )
DIRECTORY_REFRESH_MINUTES = env.int("VINCULO_DIRECTORY_REFRESH_MINUTES", 5, minimum=1, maximum=24 * 60)
# Refused envelopes the inbox records per remote address and minute; past it, that address's
# refused envelopes are answered 429 rate_limited and only counted (vinculo/messaging/services/
# refusal_limits.py). Accepted envelopes are never limited.
INBOX_REFUSALS_PER_MINUTE = env.int("VINCULO_INBOX_REFUSALS_PER_MINUTE", 30, minimum=1, maximum=10_000)
# How long a delivery worker's claim on an outgoing message lasts: a message claimed by a worker
# that died is taken up by another worker after this. Longer than a worker needs for a batch.
DELIVERY_CLAIM_SECONDS = env.int("VINCULO_DELIVERY_CLAIM_SECONDS", 120, minimum=5, maximum=3600)
# Deliveries a delivery worker has in flight at once (threads, each with its own database
# connection and HTTP connections to the peers): while one waits for a peer's answer, the others
# seal, post and record.
DELIVERY_THREADS = env.int("VINCULO_DELIVERY_THREADS", 6, minimum=1, maximum=32)
# Seconds between the delivery worker's checks of incoming requests' deadlines (reminders and
# escalations, vinculo/exchanges/services/deadlines.py); 0: the worker does not check them (run
# `vinculo exchanges deadlines` from a timer instead).
DEADLINE_CHECK_SECONDS = env.int("VINCULO_DEADLINE_CHECK_SECONDS", 300, minimum=0, maximum=86_400)
# Hit/no-hit (vinculo/matching/): how many queries a person and the whole office may ask (against
# fishing), how many a member office may ask this one a day (past it: refused, "quota"), how long
# a hit reference stays valid, how often the delivery worker refreshes the index (0: never; run
# `vinculo matching index refresh` from a timer instead), and which of the asker's roles may ask
# about victims' whereabouts (the answering office's policy; "none": no victim queries answered).
MATCH_QUERIES_PER_USER_HOUR = env.int("VINCULO_MATCH_QUERIES_PER_USER_HOUR", 30, minimum=1, maximum=10_000)
MATCH_QUERIES_PER_USER_DAY = env.int("VINCULO_MATCH_QUERIES_PER_USER_DAY", 100, minimum=1, maximum=100_000)
MATCH_QUERIES_PER_OFFICE_DAY = env.int("VINCULO_MATCH_QUERIES_PER_OFFICE_DAY", 1000, minimum=1, maximum=1_000_000)
MATCH_INCOMING_PER_MEMBER_DAY = env.int("VINCULO_MATCH_INCOMING_PER_MEMBER_DAY", 2000, minimum=1, maximum=1_000_000)
MATCH_HIT_DAYS = env.int("VINCULO_MATCH_HIT_DAYS", 30, minimum=1, maximum=365)
MATCH_INDEX_SECONDS = env.int("VINCULO_MATCH_INDEX_SECONDS", 300, minimum=0, maximum=86_400)
# How often offices send their encodings to the hub's cross-match when their index changed, and
# the hub compares new uploads (0: never; `vinculo matching crossmatch upload|run` by hand).
MATCH_CROSSMATCH_SECONDS = env.int("VINCULO_MATCH_CROSSMATCH_SECONDS", 86_400, minimum=0, maximum=30 * 86_400)
MATCH_VICTIM_QUERY_ROLES = [
    role
    for role in env.list("VINCULO_MATCH_VICTIM_QUERY_ROLES", ("prosecutor", "focal_point", "victim_care"))
    if role != "none"  # "none": this office answers no victim queries
]
# Where attachments' encrypted chunks are kept: those this node sends, until they are delivered,
# and those it receives (docs/adr/0018-attachments-as-chunked-encrypted-blobs.md). Each node its
# own directory; development keeps one per node id under var/.
ATTACHMENT_DIR = Path(
    env.required_str(
        "VINCULO_ATTACHMENT_DIR",
        str(VAR_DIR / "attachments" / NODE_ID),
        required=IS_PRODUCTION and NODE_ROLE == "office",
    )
)
# Bytes of uploads not yet claimed by a message that one peer may leave on this node at a time.
ATTACHMENT_PENDING_BYTES_PER_PEER = env.int(
    "VINCULO_ATTACHMENT_PENDING_BYTES_PER_PEER", 8 * 1024**3, minimum=1024**2, maximum=1024**4
)

# --- Accounts and sessions ---------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "web:home"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_MAX_FAILURES = env.int("VINCULO_LOGIN_MAX_FAILURES", 5, minimum=1, maximum=100)
LOGIN_LOCKOUT_MINUTES = env.int("VINCULO_LOGIN_LOCKOUT_MINUTES", 15, minimum=1, maximum=24 * 60)
SESSION_IDLE_MINUTES = env.int("VINCULO_SESSION_IDLE_MINUTES", 15, minimum=1, maximum=24 * 60)
SESSION_COOKIE_AGE = env.int("VINCULO_SESSION_MAX_HOURS", 10, minimum=1, maximum=24) * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# Several nodes may share a host name (the demo runs four on 127.0.0.1); cookies ignore ports,
# so each node's cookies carry its id to keep one node's login from clobbering another's.
_cookie_prefix = "vinculo_" + NODE_ID.lower().replace("-", "_")
SESSION_COOKIE_NAME = f"{_cookie_prefix}_session"
CSRF_COOKIE_NAME = f"{_cookie_prefix}_csrftoken"
LANGUAGE_COOKIE_NAME = f"{_cookie_prefix}_language"
CSRF_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "vinculo.web.views.csrf_failure"
# Second factor: how many 30-second steps either side of now a code may be from.
TOTP_VALID_WINDOW = env.int("VINCULO_TOTP_VALID_WINDOW", 1, minimum=0, maximum=2)
TOTP_ISSUER = env.str("VINCULO_TOTP_ISSUER", f"Vínculo {NODE_ID}")

# --- Security headers --------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_CSP = {
    "default-src": [CSP.NONE],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
    "manifest-src": [CSP.SELF],
}
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"
if IS_PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env.bool("VINCULO_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env.int("VINCULO_HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = False
    if env.bool("VINCULO_BEHIND_TLS_PROXY", True):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Languages and time ------------------------------------------------------------
LANGUAGE_CODE = "es"
LANGUAGES = [("es", _("Spanish")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = env.str("VINCULO_TIME_ZONE", "America/Guatemala") or "America/Guatemala"
if TIME_ZONE not in zoneinfo.available_timezones():
    raise ImproperlyConfigured(f"VINCULO_TIME_ZONE is not a known time zone: {TIME_ZONE!r}.")

# --- Static files ------------------------------------------------------------------
STATIC_URL = "static/"
# Only needed by collectstatic (optional, see README); WhiteNoise warns when it names a missing folder.
_static_root = env.str("VINCULO_STATIC_ROOT")
if _static_root:
    STATIC_ROOT = Path(_static_root)
STATICFILES_DIRS = [BASE_DIR / "static"]
# Served by WhiteNoise straight from the source folders, so no collectstatic is needed to
# run a node; production may still collect them (see README).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# --- E-mail ------------------------------------------------------------------------
_email_backend = env.choice("VINCULO_EMAIL_BACKEND", "smtp" if IS_PRODUCTION else "console", ["smtp", "console"])
if _email_backend == "smtp":
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": env.str("VINCULO_EMAIL_HOST", "localhost") or "localhost",
                "port": env.int("VINCULO_EMAIL_PORT", 587, minimum=1, maximum=65535),
                "username": env.str("VINCULO_EMAIL_USER", "") or "",
                "password": env.secret("VINCULO_EMAIL_PASSWORD", "") or "",
                "use_tls": env.bool("VINCULO_EMAIL_USE_TLS", True),
                "timeout": 20,
            },
        }
    }
else:
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
DEFAULT_FROM_EMAIL = env.str("VINCULO_EMAIL_FROM", f"vinculo@{NODE_ID.lower()}.invalid")

# --- Background tasks --------------------------------------------------------------
# "immediate" runs a task in the request that enqueued it (development, tests, demo);
# "database" queues it for the worker process (`vinculo db_worker`), as production should.
TASKS_MODE = env.choice("VINCULO_TASKS", "database" if IS_PRODUCTION else "immediate", ["immediate", "database"])
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend"
        if TASKS_MODE == "database"
        else "django.tasks.backends.immediate.ImmediateBackend",
    }
}

# --- Logging -----------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "vinculo.core.middleware.RequestIdLogFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["request_id"]},
    },
    "root": {"handlers": ["console"], "level": env.choice("VINCULO_LOG_LEVEL", "INFO", ["DEBUG", "INFO", "WARNING"])},
    "loggers": {"django.server": {"level": "WARNING"}},
}

# --- API ---------------------------------------------------------------------------
NINJA_PAGINATION_PER_PAGE = 50
