"""Settings for the city agenda, read from the environment (see README, "Configuration").

Nothing is hidden in a production-only file: every deployment difference is an environment
variable, listed in `.env.example`.
"""

import os
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG")

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "Set the SECRET_KEY environment variable (a long random string), "
            "or set DEBUG=1 for local development."
        )
    SECRET_KEY = "django-insecure-development-only-key-do-not-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
if DEBUG:
    ALLOWED_HOSTS += ["testserver"]

# The public address of the site, used where there is no request: absolute links in feeds,
# e-mails, and the domain part of every event UID.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "corsheaders",
    "rest_framework",
    "django_filters",
    "translated_fields",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "imagekit",
    "diary",
    "venues",
    "feeds",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "diary.middleware.RejectControlCharactersMiddleware",
    "diary.journal.JournalDoorMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "diary.cache.PublicResponseCacheMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "diary.languages.FirstVisitLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.http.ConditionalGetMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "diary.middleware.DatabaseUnavailableMiddleware",
    "axes.middleware.AxesMiddleware",
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
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "diary.languages.alternates",
            ],
        },
    },
]

# Without DATABASE_URL: a local SQLite file, so `make run` needs nothing else.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # An unreachable server fails the request in seconds (a 503) instead of hanging a worker,
    # and no query holds a worker longer than the app server's own timeout. Random reads cost
    # little more than sequential ones on SSDs: with PostgreSQL's default (4, for spinning
    # disks) the planner scans whole tables where an index answers sooner. Feeds read every
    # row of their server-side cursor: plan cursors for all rows, not the first tenth. No
    # JIT: compiling a query took 275 ms for the month grid's counts that run in 5 ms each.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        connect_timeout=3,
        options=(
            "-c statement_timeout=20000 -c random_page_cost=1.1 -c cursor_tuple_fraction=1"
            " -c jit=off"
        ),
    )
# SQLite, the embedded default, takes concurrent writes from several workers: readers do not
# wait for writers (WAL), a writer waits up to 20 s for another's lock instead of failing
# at once, and a transaction takes its write lock when it begins (IMMEDIATE), since one that
# reads first and writes later cannot wait for a lock another reader holds: it fails with
# "database is locked" whatever the timeout (20 concurrent submissions gave a 503).
SQLITE_OPTIONS = {
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(SQLITE_OPTIONS)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Two caches. "default" holds answers that can be recomputed (the response cache, fragments);
# "shared" holds what every worker must see alike: rate-limit counters, used form tokens and
# the data version that keys the response cache. With REDIS_URL both live in Redis, shared
# by every app server. Without it, "default" is each worker's own memory and "shared" a
# folder of files, shared by the workers of one machine: limits hold and no worker serves an
# answer older than the last write (a city with several app servers needs Redis).
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    REDIS_CACHE = {
        "BACKEND": "diary.redis_cache.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "agenda",
    }
    CACHES = {"default": REDIS_CACHE, "shared": REDIS_CACHE}
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "shared": {
            "BACKEND": "diary.file_cache.CountersFileBasedCache",
            "LOCATION": os.environ.get("DIARY_SHARED_CACHE_DIR", BASE_DIR / "var" / "cache"),
            "OPTIONS": {"MAX_ENTRIES": 10_000},
        },
    }

# How many proxies in front of the app append to X-Forwarded-For (README's nginx: 1). The
# client's address, for every rate limit, is the one the nearest of them saw; with 0 the
# header is ignored, so a client cannot choose its address by sending one.
NUM_PROXIES = int(os.environ.get("NUM_PROXIES", "0"))

# Editors' logins: after AXES_FAILURE_LIMIT wrong passwords from one client address within
# the hour, that address is refused (429) for an hour, the right password included; counted
# in the database, so every worker and app server agrees. The address is taken the way
# NUM_PROXIES says, like every other limit.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "10"))
AXES_COOLOFF_TIME = 1  # hour
AXES_LOCKOUT_PARAMETERS = ["ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_CLIENT_IP_CALLABLE = "diary.clients.client_address"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# The city's languages and time zone. Every date on a page is shown in TIME_ZONE.
LANGUAGE_CODE = os.environ.get("LANGUAGE_CODE", "en")
LANGUAGES = [("en", _("English")), ("fr", _("French")), ("nl", _("Dutch"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Europe/Brussels")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# An image's sizes are made once, when it is saved, and assumed to exist ever after (no
# check per request): diary.images.
IMAGEKIT_DEFAULT_CACHEFILE_STRATEGY = "diary.images.MadeOnSave"
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
# With DEBUG, serve files straight from the apps (no collectstatic needed, in tests too).
WHITENOISE_AUTOREFRESH = WHITENOISE_USE_FINDERS = DEBUG
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# A form that failed keeps its re-encoded image in a signed field (not on disk), so a form
# post may carry up to about 2 MB of text besides its files.
DATA_UPLOAD_MAX_MEMORY_SIZE = 4 * 1024 * 1024

# E-mail: printed to the console unless an SMTP server is configured.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
# The folder where django.core.mail.backends.filebased.EmailBackend writes each mail (made
# when missing); other backends ignore it.
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH") or str(BASE_DIR / "var" / "mail")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", f"agenda@{urlsplit(SITE_URL).hostname}")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Security. Behind a TLS proxy (nginx) that sets X-Forwarded-Proto; with an https SITE_URL
# everything is redirected to https and browsers are told to stay there (HSTS).
HTTPS = SITE_URL.startswith("https://")
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", HTTPS and not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load balancers probe over plain http
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000" if HTTPS else "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", HTTPS)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", HTTPS)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = HTTPS
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
X_FRAME_OPTIONS = "DENY"
# No inline script anywhere (JSON and JSON-LD data blocks are not scripts); styles may be
# set inline by Leaflet and Swagger UI; map tiles come from OpenStreetMap.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:", "https:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["diary.api.access.OrganiserTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["diary.api.access.IsOrganiserOrReadOnly"],
    "DEFAULT_PAGINATION_CLASS": "diary.api.access.Pagination",
    "DEFAULT_PARSER_CLASSES": [
        "diary.api.access.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "diary.api.schema.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": [
        "diary.api.access.AnonymousRateThrottle",
        "diary.api.access.OrganiserRateThrottle",
    ],
    "NUM_PROXIES": NUM_PROXIES,
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("API_THROTTLE_ANON", "120/minute"),
        "user": os.environ.get("API_THROTTLE_ORGANISER", "600/minute"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "City agenda API",
    "DESCRIPTION": (
        "The event diary, read-only for everyone: events, their dates (occurrences), venues, "
        "categories, tags and magazine articles. Lists take the agenda's own query parameters. "
        "Organisers with a token (issued by the editors) can submit and edit their events: "
        "send `Authorization: Token <key>`.\n\n"
        "Texts come in the language asked for with `lang` (en, fr, nl) or Accept-Language: "
        "each translated field falls back to the texts' own language (`text_language`), then "
        "English, then any; `translations` holds every language's texts."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # The site's languages: an event's texts' and a story's.
    "ENUM_NAME_OVERRIDES": {"SiteLanguageEnum": LANGUAGES},
}
# Partner sites may read the API and the feeds from any origin; writes get no CORS headers.
CORS_ALLOW_ALL_ORIGINS = True
CORS_ALLOW_METHODS = ["GET", "HEAD", "OPTIONS"]
CORS_URLS_REGEX = r"^/(api|feeds)/.*$"
CORS_EXPOSE_HEADERS = ["ETag", "Last-Modified"]

# The agenda's own settings.
# How far ahead recurring events are materialised into occurrences; `extend_occurrences`
# (run daily) rolls the horizon forward.
DIARY_HORIZON_DAYS = int(os.environ.get("DIARY_HORIZON_DAYS", "548"))  # about 18 months
# At most this many occurrences per event; upcoming dates win over the oldest past ones.
DIARY_MAX_OCCURRENCES = int(os.environ.get("DIARY_MAX_OCCURRENCES", "1000"))
# The domain part of generated event UIDs. It must never change once feeds are published.
DIARY_UID_DOMAIN = os.environ.get("DIARY_UID_DOMAIN", urlsplit(SITE_URL).hostname or "localhost")
# The organisers' submission form: its defences, and how long a manage link works.
DIARY_SUBMIT_MIN_SECONDS = int(os.environ.get("DIARY_SUBMIT_MIN_SECONDS", "3"))
DIARY_SUBMIT_PER_HOUR = int(os.environ.get("DIARY_SUBMIT_PER_HOUR", "5"))
DIARY_SUBMIT_MAX_LINKS = int(os.environ.get("DIARY_SUBMIT_MAX_LINKS", "3"))
# Live previews of the form's dates one client address may ask for per hour.
DIARY_PREVIEW_PER_HOUR = int(os.environ.get("DIARY_PREVIEW_PER_HOUR", "120"))
DIARY_MANAGE_LINK_DAYS = int(os.environ.get("DIARY_MANAGE_LINK_DAYS", "180"))
# Cancels and reinstatements an event's manage link may make per hour (diary.services).
DIARY_MANAGE_STATUS_PER_HOUR = int(os.environ.get("DIARY_MANAGE_STATUS_PER_HOUR", "4"))
# Anonymous API lists and feeds are answered from the cache while the data is unchanged
# (diary.cache). Off only to measure the uncached path (`make bench`).
DIARY_CACHE_RESPONSES = env_bool("DIARY_CACHE_RESPONSES", default=True)
# A subscription feed carries the nearest events that fit in this many bytes (0: no limit):
# Google Calendar silently ignores a feed much over 1 MB.
DIARY_FEED_MAX_BYTES = int(os.environ.get("DIARY_FEED_MAX_BYTES", "900000"))
# The weekly letter: how many subscription requests one client address may make an hour.
DIARY_LETTER_REQUESTS_PER_HOUR = int(os.environ.get("DIARY_LETTER_REQUESTS_PER_HOUR", "10"))
