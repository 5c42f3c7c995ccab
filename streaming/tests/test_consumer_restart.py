"""The restart drill: a `consume_events` process killed with SIGKILL and started again at once must
handle the next event within seconds, not after its dead session times out. Real Kafka and
PostgreSQL, the command as production runs it."""

import threading
import time
import uuid

import pytest
from django.conf import settings
from django.db import transaction

from streaming.events import emit
from streaming.kafka import SESSION_TIMEOUT_MS
from streaming.models import ProcessedEvent
from streaming.tests.conftest import manage, subprocess_env, wait_for
from streaming.tests.test_relay import drain

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

# The target for the time from a restart to the next handled event.
RESTART_TARGET_SECONDS = 5.0


def publish_graph_event():
    with transaction.atomic():
        # Users that do not exist: the graph's handler has nothing to mirror, but handles it.
        event = emit("graph.followed", key=1, payload={"follower_id": 1, "followee_id": 2})
    drain()
    return str(event.id)


def handled(group, event_id):
    return ProcessedEvent.objects.filter(group=group, event_id=event_id).exists()


def restart_bound():
    """The restart target, unless the deadline setting is stricter; never the session timeout,
    whose wait is the stall this drill is about."""
    return min(RESTART_TARGET_SECONDS, settings.TEST_DEADLINE_SECONDS, SESSION_TIMEOUT_MS / 1000 / 2)


def test_a_consumer_killed_and_restarted_with_its_instance_id_handles_the_next_event_at_once(kafka):
    group = f"graph-sync-{uuid.uuid4().hex[:8]}"
    command = ("consume_events", "--group", group, "--handlers", "graph", "--instance-id", "consumer-0")
    env = subprocess_env()
    deadline = settings.TEST_DEADLINE_SECONDS
    first = publish_graph_event()
    proc = manage(*command, env=env)
    try:
        assert wait_for(lambda: handled(group, first), timeout=deadline), "the first consumer never handled"
        proc.kill()  # SIGKILL: no commit, no goodbye to the group
        proc.wait(deadline)

        restarted_at = time.monotonic()
        proc = manage(*command, env=env)
        joining = watch_for(proc, "joining as")
        second = publish_graph_event()
        resumed = wait_for(lambda: handled(group, second), timeout=deadline, interval=0.05)
        handled_at = time.monotonic()
    finally:
        proc.kill()
        proc.wait(deadline)
    output = "".join(joining["lines"])

    assert resumed, f"no event handled {deadline} s after the restart:\n{output}"
    assert joining["at"] is not None, output
    # Python and Django take seconds to start on a busy machine; the stall is what follows.
    stall = handled_at - joining["at"]
    print(f"restart to next handled event: {handled_at - restarted_at:.2f} s, from joining: {stall:.2f} s")
    assert stall <= restart_bound(), f"the restarted consumer took {stall:.2f} s from joining its group:\n{output}"


def watch_for(proc, text):
    """Read the child's output in the background; note when a line with `text` arrives."""
    seen = {"at": None, "lines": []}

    def read():
        for line in proc.stdout:
            seen["lines"].append(line)
            if seen["at"] is None and text in line:
                seen["at"] = time.monotonic()

    threading.Thread(target=read, daemon=True).start()
    return seen
