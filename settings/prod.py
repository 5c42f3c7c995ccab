"""Production. Refuses to start without the variables that make it safe."""

import sys

from .base import *  # noqa: F403
from .base import env


def _stop(sentence):
    # One clear sentence and exit, instead of a traceback from deep inside Django.
    sys.stderr.write(f"chatsite: {sentence}\n")
    raise SystemExit(1)


def _require(name):
    if not env(name, default=""):
        _stop(f"{name} must be set in the environment for production settings.")


_require("SECRET_KEY")
_require("ALLOWED_HOSTS")
# Django's own rule for a strong key (check --deploy, security.W009), enforced rather than warned.
if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:  # noqa: F405
    _stop("SECRET_KEY must be at least 50 characters long with at least 5 different characters.")
if "*" in ALLOWED_HOSTS:  # noqa: F405
    _stop("ALLOWED_HOSTS must name the site's hosts; '*' would accept any Host header.")

DEBUG = False
LOG_FORMAT = env("LOG_FORMAT", default="json")
LOGGING["handlers"]["stdout"]["formatter"] = LOG_FORMAT  # noqa: F405

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Health probes come over plain HTTP from the orchestrator inside the cluster.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
# Static files from the app server itself (the image runs collectstatic), so no nginx is needed.
_security = MIDDLEWARE.index("django.middleware.security.SecurityMiddleware")  # noqa: F405
MIDDLEWARE.insert(_security + 1, "whitenoise.middleware.WhiteNoiseMiddleware")  # noqa: F405
STORAGES["staticfiles"]["BACKEND"] = "whitenoise.storage.CompressedManifestStaticFilesStorage"  # noqa: F405

# Demo users have published passwords and a superuser: never here.
DEMO_DATA_ALLOWED = env.bool("DEMO_DATA_ALLOWED", default=False)
