"""How many frames one socket may send: a token bucket, and strikes that close a flooding socket."""

import math
import time
from collections import deque

from django.conf import settings


class FrameBudget:
    """WS_RATE_PER_SECOND frames, bursts of WS_RATE_BURST. A refused frame is a strike;
    WS_RATE_STRIKES strikes within WS_RATE_STRIKE_WINDOW seconds close the socket."""

    __slots__ = ("at", "strikes", "tokens")

    def __init__(self):
        self.tokens = float(settings.WS_RATE_BURST)
        self.at = time.monotonic()
        self.strikes = None  # a deque of their times, made at the first (most sockets have none)

    def take(self):
        now = time.monotonic()
        self.tokens = min(settings.WS_RATE_BURST, self.tokens + (now - self.at) * settings.WS_RATE_PER_SECOND)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False

    def strike(self):
        """Count a violation -> True when the socket should be closed."""
        now = time.monotonic()
        if self.strikes is None:
            self.strikes = deque()
        self.strikes.append(now)
        while self.strikes and now - self.strikes[0] > settings.WS_RATE_STRIKE_WINDOW:
            self.strikes.popleft()
        return len(self.strikes) >= settings.WS_RATE_STRIKES

    def retry_after(self):
        return max(1, math.ceil((1 - self.tokens) / settings.WS_RATE_PER_SECOND))
