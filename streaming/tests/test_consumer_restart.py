"""The restart drill: a `consume_events` process killed with SIGKILL and started again at once must
handle the next event within seconds, not after its dead session times out. Real Kafka and
PostgreSQL, the command as production runs it."""

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
        second = publish_graph_event()
        resumed = wait_for(lambda: handled(group, second), timeout=deadline, interval=0.05)
        elapsed = time.monotonic() - restarted_at
    finally:
        proc.kill()
        output, _ = proc.communicate(timeout=deadline)

    assert resumed, f"no event handled {deadline} s after the restart:\n{output}"
    print(f"restart to next handled event: {elapsed:.2f} s (bound {restart_bound()} s)")
    assert elapsed <= restart_bound(), f"the restarted consumer took {elapsed:.2f} s:\n{output}"
