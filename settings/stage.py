"""Staging: production settings, so that stage proves what prod will run."""

from .prod import *  # noqa: F403
