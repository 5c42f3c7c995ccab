"""Local development: `make run`. Debug on, readable logs, embedded defaults unless set."""

from .base import *  # noqa: F403

DEBUG = env.bool("DEBUG", default=True)  # noqa: F405
