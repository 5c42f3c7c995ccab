"""Settings shared by every environment. Every value comes from the environment (django-environ).

An absent variable means that port's embedded default, so `make run` needs no server:
SQLite, the in-memory channel layer, tasks run in-process, the SQL message store and graph,
and the in-process event bus.
"""

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A local .env is a convenience for development; the process environment always wins.
# `make run` and `make test` turn it off so that they always run on what they state.
if env.bool("READ_DOT_ENV", default=True):
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("SECRET_KEY", default="dev-insecure-key-change-me")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
# Origins a browser WebSocket may come from; empty means "the allowed hosts".
WEBSOCKET_ALLOWED_ORIGINS = env.list("WEBSOCKET_ALLOWED_ORIGINS", default=[])

INSTALLED_APPS = [
    "daphne",  # first, so that runserver serves ASGI (HTTP and WebSocket)
    "accounts.admin_config.ChatAdminConfig",  # django.contrib.admin, with the two-factor login
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "knox",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI as static files: /api/docs/ works offline
    "channels",
    "django_celery_beat",
    "accounts",
    "chats",
    "gateway",
    "graph",
    "streaming",
    "analytics",
    "ml",
    "notifications",
    "moderation",
    "files",
    "integrations",
    "portability",
    "slash",
    "web",
]

MIDDLEWARE = [
    "chatsite.request_id.RequestIdMiddleware",
    "chatsite.health.ProbeMiddleware",
    "chatsite.input_guard.InputGuardMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
]

ROOT_URLCONF = "chatsite.urls"
ASGI_APPLICATION = "chatsite.asgi.application"
# Threads of a server process that run HTTP requests, each request wholly in one of them
# (chatsite.http_handler). A REST send waits in its thread for its batch's commit.
HTTP_THREADS = env.int("HTTP_THREADS", default=32)
if HTTP_THREADS < 1:
    raise ImproperlyConfigured(f"HTTP_THREADS must be at least 1, not {HTTP_THREADS}")
WSGI_APPLICATION = None

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
            ],
        },
    },
]

# --- Relational database: SQLite by default; PostgreSQL or MySQL/MariaDB by URL. ---
DATABASES = {"default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"].endswith("postgresql") and env.bool("DATABASE_POOL", default=True):
    # A connection pool per process: under ASGI, Django's persistent connections are unsafe,
    # and opening a connection per request costs more than the request itself.
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env.int("DATABASE_POOL_MIN", default=2),
        "max_size": env.int("DATABASE_POOL_MAX", default=20),
        "timeout": 10,
    }
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # WAL and a busy timeout let the dev server's threads write without "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            # Take the write lock at BEGIN: two writers then queue instead of one failing late.
            "transaction_mode": "IMMEDIATE",
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "accounts.validators.NotOnlyWhitespacePasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Plain files here, so that dev and tests need no collectstatic; prod serves hashed, compressed
    # copies with WhiteNoise.
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# --- Content-Security-Policy (django-csp) on every response: no inline script, no other origin.
# 'self' covers the same-origin WebSocket (ws:/wss:) in CSP level 3. The Swagger page, whose bundle
# is served from our own static files, allows itself inline styles only (web.csp.docs_policy).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# --- Redis: channel layer, cache and Celery broker when set; in-process otherwise. ---
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Celery: Redis broker when REDIS_URL is set; tasks run in-process otherwise. ---
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_WORKER_HIJACK_ROOT_LOGGER = False  # keep LOGGING's handlers, so workers log JSON in prod too
CELERY_TIMEZONE = TIME_ZONE

# --- Stores behind ports. ---
MESSAGE_STORE = env("MESSAGE_STORE", default="sql")  # sql | mongo
MONGO_URL = env("MONGO_URL", default="")
GRAPH_BACKEND = env("GRAPH_BACKEND", default="sql")  # sql | neo4j
NEO4J_URL = env("NEO4J_URL", default="")
KAFKA_BOOTSTRAP_SERVERS = env("KAFKA_BOOTSTRAP_SERVERS", default="")
SPARK_MASTER = env("SPARK_MASTER", default="local[*]")
# Analytics (analytics/): which engine computes the aggregates (sql: in the database, no Java;
# spark: pyspark on SPARK_MASTER), where raw events and curated tables live, and the Kafka
# connector jars handed to Spark (fetched at set-up by `svc start spark`; empty: batch only).
ANALYTICS_ENGINE = env("ANALYTICS_ENGINE", default="sql")  # sql | spark
ANALYTICS_DATA_DIR = env("ANALYTICS_DATA_DIR", default=str(BASE_DIR / "data"))
SPARK_JARS_DIR = env("SPARK_JARS_DIR", default="")
SPARK_SHUFFLE_PARTITIONS = env.int("SPARK_SHUFFLE_PARTITIONS", default=8)
# The driver's heap (local[*]: the whole job's): the staged events are cached there. Empty: Spark's 1g.
SPARK_DRIVER_MEMORY = env("SPARK_DRIVER_MEMORY", default="")

# --- Chat limits. ---
MESSAGE_MAX_LENGTH = 4000
MESSAGE_RATE_LIMIT = env("MESSAGE_RATE_LIMIT", default="30/10s")  # sends per user per window
# Sign-in and sign-up (accounts.throttles), same format. Failed logins per account (any address),
# login attempts per client address (any account), registrations per client address.
LOGIN_RATE_LIMIT_PER_ACCOUNT = env("LOGIN_RATE_LIMIT_PER_ACCOUNT", default="10/5m")
LOGIN_RATE_LIMIT_PER_ADDRESS = env("LOGIN_RATE_LIMIT_PER_ADDRESS", default="30/m")
REGISTER_RATE_LIMIT_PER_ADDRESS = env("REGISTER_RATE_LIMIT_PER_ADDRESS", default="10/h")
# Two-factor sign-in (accounts.two_factor): staff reach the admin only after a second factor;
# the password step's challenge lasts this long before the code must be sent.
TWO_FACTOR_REQUIRED_FOR_STAFF = env.bool("TWO_FACTOR_REQUIRED_FOR_STAFF", default=False)
TWO_FACTOR_CHALLENGE_SECONDS = env.int("TWO_FACTOR_CHALLENGE_SECONDS", default=300)
# Passkeys (accounts.passkeys, WebAuthn): the relying party a passkey is bound to. Empty: the
# origin the browser is on and its host name, which suits one site; set both when the site sits
# behind a proxy that changes the Host header. The name is what the browser shows.
WEBAUTHN_ORIGIN = env("WEBAUTHN_ORIGIN", default="")
WEBAUTHN_RP_ID = env("WEBAUTHN_RP_ID", default="")
WEBAUTHN_RP_NAME = env("WEBAUTHN_RP_NAME", default="chatsite")
# OpenID Connect sign-in (accounts.oidc), off unless turned on: the provider's issuer URL (its
# /.well-known/openid-configuration is read from there), this site's client id and secret at the
# provider, the scopes asked for, and the provider's name on the sign-in button.
OIDC_ENABLED = env.bool("OIDC_ENABLED", default=False)
OIDC_ISSUER = env("OIDC_ISSUER", default="")
OIDC_CLIENT_ID = env("OIDC_CLIENT_ID", default="")
OIDC_CLIENT_SECRET = env("OIDC_CLIENT_SECRET", default="")
OIDC_SCOPES = env("OIDC_SCOPES", default="openid email profile")
OIDC_PROVIDER_NAME = env("OIDC_PROVIDER_NAME", default="single sign-on")
# Incoming webhooks (integrations.incoming): the largest body, and posts per webhook per window.
INCOMING_WEBHOOK_MAX_BYTES = env.int("INCOMING_WEBHOOK_MAX_BYTES", default=16384)
INCOMING_WEBHOOK_RATE_LIMIT = env("INCOMING_WEBHOOK_RATE_LIMIT", default="30/m")
# Outgoing webhooks (integrations.outgoing): tries per event, the first retry's wait (doubling
# after), the time one POST may take, and how much of the answer is read.
OUTGOING_WEBHOOK_MAX_ATTEMPTS = env.int("OUTGOING_WEBHOOK_MAX_ATTEMPTS", default=5)
OUTGOING_WEBHOOK_RETRY_BACKOFF = env.float("OUTGOING_WEBHOOK_RETRY_BACKOFF", default=10.0)
OUTGOING_WEBHOOK_TIMEOUT_SECONDS = env.float("OUTGOING_WEBHOOK_TIMEOUT_SECONDS", default=10.0)
OUTGOING_WEBHOOK_MAX_RESPONSE_BYTES = env.int("OUTGOING_WEBHOOK_MAX_RESPONSE_BYTES", default=65536)
# Requests to user-given URLs (chatsite.outbound) never reach private or local addresses, except
# these networks (CIDR, comma-separated), e.g. a bot on the same host.
OUTBOUND_ALLOWED_NETWORKS = env.list("OUTBOUND_ALLOWED_NETWORKS", default=[])
# Retention policies (chats.retention): messages deleted per batch, per conversation, by the daily job.
RETENTION_BATCH_SIZE = env.int("RETENTION_BATCH_SIZE", default=500)
# Deepest nesting of a JSON request body or WebSocket frame (chatsite.strict); deeper is a 400.
JSON_MAX_DEPTH = env.int("JSON_MAX_DEPTH", default=32)

# --- REST API. ---
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.tokens.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # A bot's token does only what its scopes allow (accounts.bots).
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "accounts.permissions.TokenScopePermission",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "chatsite.api_errors.exception_handler",
    "DEFAULT_PARSER_CLASSES": ["chatsite.strict.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # Proxies in front of the app that append to X-Forwarded-For; the client address (rate limits
    # per address) is the one the outermost of them saw. 0: the peer address, X-Forwarded-For ignored.
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "chatsite API",
    "DESCRIPTION": "REST API of chatsite. Errors are JSON: {error: {code, message, fields}}.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # `<id:...>` in URLs (chatsite.strict.IdConverter).
    "PATH_CONVERTER_OVERRIDES": {"id": {"type": "integer", "format": "int64", "minimum": 1, "maximum": 2**63 - 1}},
    # Two choice sets named "kind" (conversations, push devices) need names of their own.
    "ENUM_NAME_OVERRIDES": {"PushDeviceKindEnum": "notifications.models.PushDevice.Kind"},
}

# --- Readiness (/readyz): callers that send this value in X-Readyz-Token, and signed-in staff, get
# each backend's status, latency and error, and the details below; everyone else only the status.
READYZ_TOKEN = env("READYZ_TOKEN", default="")
# name -> dotted path of a function returning a JSON-able dict, shown to those callers. Settings
# wire them, so that chatsite imports no app's internals.
READYZ_DETAILS = {"outbox": "streaming.selectors.outbox_lag"}

# --- Logging: readable lines by default; JSON lines when LOG_FORMAT=json (stage, prod). ---
LOG_LEVEL = env("LOG_LEVEL", default="INFO")
LOG_FORMAT = env("LOG_FORMAT", default="text")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "chatsite.request_id.LogContextFilter"}},
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(user_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": LOG_FORMAT,
            "filters": ["context"],
        }
    },
    "root": {"handlers": ["stdout"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
# For a log shipper (ELK): with LOG_DIR set, every line also goes to LOG_DIR/app.log and ERROR and
# above to LOG_DIR/errors.log, as JSON lines whatever LOG_FORMAT says; both rotate by size.
LOG_DIR = env("LOG_DIR", default="")
if LOG_DIR:
    from chatsite.logging_files import add_file_handlers

    add_file_handlers(
        LOGGING,
        LOG_DIR,
        max_bytes=env.int("LOG_FILE_MAX_MB", default=100) * 1024 * 1024,
        backups=env.int("LOG_FILE_BACKUPS", default=5),
    )

# Per-device API tokens (knox): hashed at rest, each device logs out on its own.
REST_KNOX = {
    "TOKEN_TTL": timedelta(days=env.int("TOKEN_TTL_DAYS", default=30)),
    "AUTO_REFRESH": True,
    "TOKEN_LIMIT_PER_USER": 20,  # nosec B105 - a count of tokens, not a password
}

# --- Event streaming and Celery ---
# Kafka topics: one per event family (streaming.events.TOPICS), with this prefix in front (tests,
# or several deployments sharing one cluster). Created by the relay and consumers when missing.
KAFKA_TOPIC_PREFIX = env("KAFKA_TOPIC_PREFIX", default="")
KAFKA_TOPIC_PARTITIONS = env.int("KAFKA_TOPIC_PARTITIONS", default=6)
KAFKA_TOPIC_REPLICATION = env.int("KAFKA_TOPIC_REPLICATION", default=1)
# Relay: rows per claimed batch; longest idle wait when no commit wakes it (PostgreSQL LISTEN
# wakes it at once); how long the broker may take to confirm a record before it counts as failed;
# seconds between progress/lag log lines.
OUTBOX_RELAY_BATCH = env.int("OUTBOX_RELAY_BATCH", default=500)
OUTBOX_RELAY_POLL_SECONDS = env.float("OUTBOX_RELAY_POLL_SECONDS", default=1.0)
OUTBOX_DELIVERY_TIMEOUT_SECONDS = env.float("OUTBOX_DELIVERY_TIMEOUT_SECONDS", default=30.0)
OUTBOX_RELAY_LOG_SECONDS = env.float("OUTBOX_RELAY_LOG_SECONDS", default=60.0)
# The safety-net task publishes rows still unsent after this many seconds.
OUTBOX_STRAGGLER_SECONDS = env.int("OUTBOX_STRAGGLER_SECONDS", default=60)
# Without Kafka: tries of the in-process handlers per event before it is left for an operator.
OUTBOX_LOCAL_MAX_ATTEMPTS = env.int("OUTBOX_LOCAL_MAX_ATTEMPTS", default=10)
# Retention: sent outbox rows; consumer dedupe records (must outlast any redelivery); and
# deleted messages' tombstones, after which they are purged from the message store.
OUTBOX_RETENTION_DAYS = env.int("OUTBOX_RETENTION_DAYS", default=7)
PROCESSED_EVENT_RETENTION_DAYS = env.int("PROCESSED_EVENT_RETENTION_DAYS", default=14)
TOMBSTONE_RETENTION_DAYS = env.int("TOMBSTONE_RETENTION_DAYS", default=30)
# Consumers: tries of a failing event (first retry after EVENT_HANDLER_RETRY_BACKOFF seconds,
# doubling) before it goes to <topic>.dlq.
EVENT_HANDLER_MAX_ATTEMPTS = env.int("EVENT_HANDLER_MAX_ATTEMPTS", default=5)
EVENT_HANDLER_RETRY_BACKOFF = env.float("EVENT_HANDLER_RETRY_BACKOFF", default=0.5)
# Workers take one task at a time and acknowledge it when done (tasks that are idempotent set
# acks_late), so a worker that dies hands its task to another.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# --- Files (files/) ---
# Where uploaded files live: empty means the local disk under FILES_ROOT; production names an
# S3-compatible store: s3://KEY:SECRET@HOST:PORT/BUCKET[/PREFIX]?region=R&tls=false (no host: AWS).
STORAGE_URL = env("STORAGE_URL", default="")
FILES_ROOT = Path(env("FILES_ROOT", default=str(BASE_DIR / ".state" / "files")))
UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=25 * 1024 * 1024)
UPLOAD_QUOTA_BYTES = env.int("UPLOAD_QUOTA_BYTES", default=1024 * 1024 * 1024)  # per user, all their files
# Types as found in the bytes. SVG and HTML are off by default, and never served inline when on.
UPLOAD_ALLOWED_TYPES = env.list(
    "UPLOAD_ALLOWED_TYPES",
    default=[
        "image/jpeg",
        "image/png",
        "image/gif",
        "image/webp",
        "application/pdf",
        "text/plain",
        "application/zip",
        "audio/mpeg",
        "audio/ogg",
        "video/mp4",
        "video/webm",
    ],
)
IMAGE_MAX_PIXELS = env.int("IMAGE_MAX_PIXELS", default=50_000_000)  # more is refused as a decompression bomb
AVATAR_MAX_BYTES = env.int("AVATAR_MAX_BYTES", default=10 * 1024 * 1024)  # a profile picture as uploaded
DOWNLOAD_URL_SECONDS = env.int("DOWNLOAD_URL_SECONDS", default=300)  # life of a download link
PRESIGNED_UPLOAD_SECONDS = env.int("PRESIGNED_UPLOAD_SECONDS", default=900)  # life of a presigned upload URL
# How long a person's own data export (portability) is offered for download; then its file is purged.
DATA_EXPORT_HOURS = env.int("DATA_EXPORT_HOURS", default=48)
# Download links on another origin (https://media.example.com), so that a file never runs on the
# site's own; empty: the site's origin. That host must be in ALLOWED_HOSTS and reach this app.
MEDIA_ORIGIN = env("MEDIA_ORIGIN", default="")
UPLOAD_UNATTACHED_HOURS = env.int("UPLOAD_UNATTACHED_HOURS", default=24)  # then an unsent upload is purged
# The object chats asks about a send's attachment_ids (chats.attachments); empty: no attachments.
MESSAGE_ATTACHMENTS = env("MESSAGE_ATTACHMENTS", default="files.attachments.FileAttachments")
# Link previews of the first links of a message, fetched by a Celery task through chatsite.outbound
# (OUTBOUND_ALLOWED_NETWORKS applies); a page (and its image) is kept by URL for the TTL.
LINK_PREVIEWS = env.bool("LINK_PREVIEWS", default=True)
LINK_PREVIEW_TTL_SECONDS = env.int("LINK_PREVIEW_TTL_SECONDS", default=24 * 3600)
LINK_PREVIEW_TIMEOUT_SECONDS = env.float("LINK_PREVIEW_TIMEOUT_SECONDS", default=5)
LINK_PREVIEW_MAX_BYTES = env.int("LINK_PREVIEW_MAX_BYTES", default=1024 * 1024)  # of a page, or of its image

# --- Social graph ---
# The Neo4j mirror's dataset name: several deployments (or test runs) can share one Neo4j database.
GRAPH_NEO4J_SPACE = env("GRAPH_NEO4J_SPACE", default="main")
# People you may know: how many candidates the nightly batch stores per user (graph.batch).
GRAPH_SUGGESTIONS_STORED = env.int("GRAPH_SUGGESTIONS_STORED", default=50)
# The learned ranker (graph.ranker): its artefact (LightGBM text), and the newest share of
# friendships its training holds out.
GRAPH_RANKER_PATH = Path(env("GRAPH_RANKER_PATH", default=str(BASE_DIR / ".state" / "graph" / "ranker.txt")))
GRAPH_RANKER_HOLD_OUT = env.float("GRAPH_RANKER_HOLD_OUT", default=0.1)

# --- WebSocket gateway ---
# See gateway/protocol.py for what each limit means to a client.
# The fan-out adapter behind gateway.fanout: the hub (one Redis pub/sub subscription per process
# and group, or straight to this process's sockets without Redis). The benchmark plugs its naive
# baseline in here; production has no other.
GATEWAY_FANOUT = env("GATEWAY_FANOUT", default="gateway.fanout.hub")
# A Redis Cluster for the fan-out (a seed node's URL): group messages then cross it with sharded
# pub/sub, one connection per shard. Presence, rate limits, the cache and Celery stay on REDIS_URL.
FANOUT_REDIS_CLUSTER_URL = env("FANOUT_REDIS_CLUSTER_URL", default="")
WS_MAX_FRAME_BYTES = env.int("WS_MAX_FRAME_BYTES", default=64 * 1024)
WS_RATE_PER_SECOND = env.float("WS_RATE_PER_SECOND", default=20.0)  # client frames per socket, sustained
WS_RATE_BURST = env.int("WS_RATE_BURST", default=60)
WS_RATE_STRIKES = env.int("WS_RATE_STRIKES", default=10)  # refused frames within the window before close 4429
WS_RATE_STRIKE_WINDOW = env.float("WS_RATE_STRIKE_WINDOW", default=10.0)
WS_AUTH_TIMEOUT = env.float("WS_AUTH_TIMEOUT", default=5.0)  # seconds to send the auth frame
# permessage-deflate, which every browser offers (chatsite.websocket_protocol): message (each
# message compressed alone: nothing held between messages) | context (12-bit windows kept for the
# socket's life, about 31 KB of each browser socket) | off
WS_COMPRESSION = env("WS_COMPRESSION", default="message")
if WS_COMPRESSION not in ("message", "context", "off"):
    raise ImproperlyConfigured(f"WS_COMPRESSION must be message, context or off, not {WS_COMPRESSION!r}")
WS_RESUME_GRACE = env.float("WS_RESUME_GRACE", default=1.0)  # seconds to wait for `resume` before going live
WS_REPLAY_BOUND = env.int("WS_REPLAY_BOUND", default=1000)  # events a resume replays; more means resync
WS_REPLAY_PAGE = env.int("WS_REPLAY_PAGE", default=200)  # events per store read while replaying
WS_SEND_QUEUE_MAX = env.int("WS_SEND_QUEUE_MAX", default=5000)  # frames a slow client may owe before close 4504
# Sends a socket may have in flight before its next frame waits: they are pipelined, so a client is
# not held back by its own previous send's commit (gateway.socket.consumer).
WS_SENDS_IN_FLIGHT = env.int("WS_SENDS_IN_FLIGHT", default=32)
# Most sends into one conversation committed together, in one transaction (chats.group_commit).
SEND_BATCH_MAX = env.int("SEND_BATCH_MAX", default=64)
# Demo data (seed_demo) has published passwords and a superuser: refused where this is off.
DEMO_DATA_ALLOWED = env.bool("DEMO_DATA_ALLOWED", default=True)
WS_HEALTH_INTERVAL = env.float("WS_HEALTH_INTERVAL", default=2.0)  # seconds between checks that Redis kept its data
PRESENCE_TTL = env.float("PRESENCE_TTL", default=60.0)  # seconds a connection counts without a heartbeat
PRESENCE_HEARTBEAT = env.float("PRESENCE_HEARTBEAT", default=20.0)
# Seconds a user's last socket may be gone before others hear "offline": a reconnect within it
# (a blip, a reload) changes nothing for them.
PRESENCE_OFFLINE_GRACE = env.float("PRESENCE_OFFLINE_GRACE", default=8.0)
# Seconds a socket gathers the presence changes it hears into one frame: a wave of connects (a
# deploy, a reconnect storm) would otherwise cost each socket a frame per person.
PRESENCE_BATCH_SECONDS = env.float("PRESENCE_BATCH_SECONDS", default=0.05)
TYPING_EXPIRES = env.float("TYPING_EXPIRES", default=6.0)  # how long a client shows "typing"
TYPING_MIN_INTERVAL = env.float("TYPING_MIN_INTERVAL", default=3.0)  # repeats sooner than this are dropped

# --- ML moderation ---
# Trained models live under ML_MODELS_DIR/<name>/<version>/ (skops file, vocabularies, metadata);
# bootstrap data sets fetched at set-up (manage.py ml_bootstrap) under ML_DATA_DIR.
ML_MODELS_DIR = Path(env("ML_MODELS_DIR", default=str(BASE_DIR / ".state" / "ml" / "models")))
ML_DATA_DIR = Path(env("ML_DATA_DIR", default=str(BASE_DIR / ".state" / "ml" / "datasets")))
# Off: check_message allows every message without looking at a model (no registry query either).
ML_SCORING = env.bool("ML_SCORING", default=True)
# How often each process asks the registry which version is active (a promotion or rollback
# reaches every process within this many seconds).
ML_RELOAD_SECONDS = env.float("ML_RELOAD_SECONDS", default=30.0)
# Scores at or above these hold a message for review or refuse it; above 1 turns the outcome off.
# New accounts (younger than ML_NEW_ACCOUNT_DAYS) get the stricter ML_NEW_* thresholds.
ML_SPAM_HOLD = env.float("ML_SPAM_HOLD", default=0.8)
ML_SPAM_REJECT = env.float("ML_SPAM_REJECT", default=0.98)
ML_ABUSE_HOLD = env.float("ML_ABUSE_HOLD", default=0.85)
ML_ABUSE_REJECT = env.float("ML_ABUSE_REJECT", default=1.01)
ML_NEW_ACCOUNT_DAYS = env.int("ML_NEW_ACCOUNT_DAYS", default=3)
ML_NEW_SPAM_HOLD = env.float("ML_NEW_SPAM_HOLD", default=0.6)
ML_NEW_ABUSE_HOLD = env.float("ML_NEW_ABUSE_HOLD", default=0.7)
# Retraining: the nightly task trains only when this many new moderator labels arrived since the
# active version; a candidate replaces the active model only if its F1 on the validation split is
# at least the active one's minus ML_PROMOTE_TOLERANCE.
ML_RETRAIN_MIN_NEW_LABELS = env.int("ML_RETRAIN_MIN_NEW_LABELS", default=20)
ML_PROMOTE_TOLERANCE = env.float("ML_PROMOTE_TOLERANCE", default=0.0)
# Sent messages' text is kept this long, so that a later moderator decision can become a label.
ML_TEXT_RETENTION_DAYS = env.int("ML_TEXT_RETENTION_DAYS", default=30)

# --- Notifications ---
# The site's public address, for links in e-mails and pushes.
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="chatsite <noreply@localhost>")
# Seconds nobody of the recipient's sockets may have looked at the conversation before a channel
# is used: push at once (a device with the conversation open still gets none), e-mail and SMS later.
NOTIFY_PUSH_GRACE = env.float("NOTIFY_PUSH_GRACE", default=0.0)
NOTIFY_EMAIL_GRACE = env.float("NOTIFY_EMAIL_GRACE", default=120.0)
NOTIFY_SMS_GRACE = env.float("NOTIFY_SMS_GRACE", default=300.0)
# How recently a socket must have looked at a conversation (read, sent, typed) to count as looking.
NOTIFY_LOOKING_SECONDS = env.float("NOTIFY_LOOKING_SECONDS", default=60.0)
# Push endpoints are URLs from clients: https only, hosts from this list (a leading dot allows
# sub-domains), never internal addresses; loopback only where NOTIFY_PUSH_ALLOW_LOOPBACK is on
# (tests, and local push servers in development).
NOTIFY_PUSH_HOSTS = env.list(
    "NOTIFY_PUSH_HOSTS",
    default=[
        "fcm.googleapis.com",
        "updates.push.services.mozilla.com",
        ".notify.windows.com",
        ".push.apple.com",
    ],
)
NOTIFY_PUSH_ALLOW_LOOPBACK = env.bool("NOTIFY_PUSH_ALLOW_LOOPBACK", default=False)
# VAPID (Web Push): the private key as PEM or base64url DER; unset, the server makes one and keeps
# it in NOTIFY_VAPID_KEY_FILE. The subject is a mailto: or https: contact for push services.
VAPID_PRIVATE_KEY = env("VAPID_PRIVATE_KEY", default="")
VAPID_KEY_FILE = Path(env("VAPID_KEY_FILE", default=str(BASE_DIR / ".state" / "vapid_private.pem")))
VAPID_SUBJECT = env("VAPID_SUBJECT", default="mailto:admin@localhost")
# Delivery: tries per notification on 429 and 5xx, the first backoff (doubling; Retry-After wins),
# and the HTTP timeout of one try.
NOTIFY_MAX_TRIES = env.int("NOTIFY_MAX_TRIES", default=5)
NOTIFY_RETRY_BACKOFF = env.float("NOTIFY_RETRY_BACKOFF", default=2.0)
NOTIFY_HTTP_TIMEOUT = env.float("NOTIFY_HTTP_TIMEOUT", default=10.0)
# Push payloads: the time to live a push service keeps an undelivered push.
NOTIFY_PUSH_TTL = env.int("NOTIFY_PUSH_TTL", default=3600)
# A certificate authority file the push clients trust besides the system's (a private push server).
NOTIFY_CA_BUNDLE = env("NOTIFY_CA_BUNDLE", default="")
# The adapter of each destination kind (notifications.backends); a kind without one is not planned
NOTIFY_ADAPTERS = {
    "webpush": env("NOTIFY_ADAPTER_WEBPUSH", default="notifications.backends.webpush"),
    "fcm": env("NOTIFY_ADAPTER_FCM", default="notifications.backends.fcm"),
    "apns": env("NOTIFY_ADAPTER_APNS", default="notifications.backends.apns"),
    "sms": env("NOTIFY_ADAPTER_SMS", default="notifications.backends.sms"),
}
# FCM v1: the service account's JSON key file (client_email, private_key, token_uri, project_id);
# unset, FCM devices are registered but nothing is sent to them.
FCM_SERVICE_ACCOUNT_FILE = env("FCM_SERVICE_ACCOUNT_FILE", default="")
FCM_ENDPOINT = env("FCM_ENDPOINT", default="https://fcm.googleapis.com")
# APNs with token authentication: the .p8 auth key, its key id and the team id (unset, APNs devices
# are registered but nothing is sent to them); the topic (bundle id) when a device names no app_id;
# the endpoint (https://api.sandbox.push.apple.com for development builds); how long a provider
# token is reused (Apple: between 20 and 60 minutes).
APNS_KEY_FILE = env("APNS_KEY_FILE", default="")
APNS_KEY_ID = env("APNS_KEY_ID", default="")
APNS_TEAM_ID = env("APNS_TEAM_ID", default="")
APNS_TOPIC = env("APNS_TOPIC", default="")
APNS_ENDPOINT = env("APNS_ENDPOINT", default="https://api.push.apple.com")
APNS_TOKEN_SECONDS = env.int("APNS_TOKEN_SECONDS", default=3000)
# SMS through Twilio's Messages API: the account SID and auth token, the sender (a number, or a
# Messaging Service SID "MG..."); unset, nobody can verify a phone and no SMS is sent. At most
# NOTIFY_SMS_DAILY_LIMIT texts per person in 24 hours; the rest are skipped.
TWILIO_ACCOUNT_SID = env("TWILIO_ACCOUNT_SID", default="")
TWILIO_AUTH_TOKEN = env("TWILIO_AUTH_TOKEN", default="")
TWILIO_FROM = env("TWILIO_FROM", default="")
TWILIO_API_BASE = env("TWILIO_API_BASE", default="https://api.twilio.com")
NOTIFY_SMS_DAILY_LIMIT = env.int("NOTIFY_SMS_DAILY_LIMIT", default=10)
