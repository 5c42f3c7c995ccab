"""A liveness heartbeat for the long-running commands: a file whose modification time says when
the loop last came round.

The relay and the consumer look at their stop event on every pass of their loop, and wait on it
while they back off. So the heartbeat rides on that event instead of living in a thread of its
own: a thread would go on beating while the loop hangs (a query that never returns, a stuck
flush), which is exactly what a liveness probe is for. A wait is cut into short slices that each
beat, so a deliberate back-off or an idle poll is never mistaken for a hang.

The probe (`docker/entrypoint.sh heartbeat FILE MAX_AGE`) fails once the file is older than
MAX_AGE seconds; that must exceed the longest step that does not look at the event (a relay
batch's delivery timeout, a consumer's batch of handlers).
"""

import os
import time
from pathlib import Path

# At most one write per second: the loops may look at the event thousands of times a second.
MIN_INTERVAL = 1.0
WAIT_SLICE = 1.0


class Heartbeat:
    """Wraps a threading.Event (the one the signal handlers set) and touches `path` whenever the
    loop looks at it. Only is_set, wait and set are forwarded: all that the loops use."""

    def __init__(self, stop, path):
        self._stop = stop
        self.path = Path(path)
        self._last = float("-inf")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.beat(force=True)

    def beat(self, force=False):
        now = time.monotonic()
        if not force and now - self._last < MIN_INTERVAL:
            return
        self._last = now
        try:
            os.utime(self.path)
        except FileNotFoundError:
            self.path.touch()

    def is_set(self):
        self.beat()
        return self._stop.is_set()

    def wait(self, timeout=None):
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            self.beat()
            left = WAIT_SLICE if deadline is None else min(WAIT_SLICE, deadline - time.monotonic())
            if left <= 0:
                return self._stop.is_set()
            if self._stop.wait(left):
                return True

    def set(self):
        self._stop.set()


def with_heartbeat(stop, path):
    """`stop` itself when no heartbeat file is asked for."""
    return Heartbeat(stop, path) if path else stop


def add_heartbeat_argument(parser):
    parser.add_argument(
        "--heartbeat-file",
        default=None,
        metavar="PATH",
        help="touch this file on every pass of the loop, for a liveness probe "
        "(docker/entrypoint.sh heartbeat PATH MAX_AGE); default: none",
    )
