"""The end-to-end server: the test settings, plus WhiteNoise serving the static files straight from
the apps (production serves collectstatic's copies through the same middleware)."""

from settings.test import *  # noqa: F403
from settings.test import MIDDLEWARE

MIDDLEWARE = list(MIDDLEWARE)
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1, "whitenoise.middleware.WhiteNoiseMiddleware"
)
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
