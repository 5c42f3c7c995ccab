"""Local development: `make run`. Debug on, readable logs, embedded defaults unless set."""

from .base import *  # noqa: F403

DEBUG = env.bool("DEBUG", default=True)  # noqa: F405
# A local push server (a phone emulator's, a test one) may listen on loopback in development.
NOTIFY_PUSH_ALLOW_LOOPBACK = env.bool("NOTIFY_PUSH_ALLOW_LOOPBACK", default=True)  # noqa: F405
