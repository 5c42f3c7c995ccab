"""The relay against real PostgreSQL and Kafka: every change reaches its topic once, in order per key,
and nothing is lost when the relay or Kafka goes away."""

import json
import signal
import threading
from collections import Counter

import pytest
from django.db import transaction

from chats import actions
from streaming.events import emit, topic_for
from streaming.models import OutboxEvent
from streaming.relay import Relay
from streaming.tests.conftest import Output, manage, read_envelopes, read_topic, subprocess_env
from testkit.services import deadline, svc, wait_until

pytestmark = [pytest.mark.services]


def drain(relay=None):
    relay = relay or Relay(batch_size=100)
    total = 0
    try:
        while True:
            claimed, sent = relay.relay_batch()
            assert sent == claimed, "Kafka refused a batch"
            total += sent
            if not claimed:
                return total
    finally:
        relay.close()


@pytest.mark.django_db
def test_each_change_is_published_once_to_its_family_topic_keyed_by_conversation(kafka, make_user):
    alice, bob = make_user(), make_user()
    group = actions.do_create_conversation(alice, kind="group", title="Team", member_ids=[bob.pk])
    sent = [actions.do_send_message(alice, group.id, text=f"m{i}", client_id=f"c{i}")[0] for i in range(5)]
    actions.do_edit_message(alice, group.id, sent[0].id, "m0 edited")
    actions.do_send_message(alice, group.id, text="m0", client_id="c0")  # a retry: no new event
    actions.do_react(bob, group.id, sent[1].id, "👍")

    rows = OutboxEvent.objects.count()
    assert drain() == rows
    assert not OutboxEvent.objects.filter(sent_at__isnull=True).exists()
    assert drain() == 0  # marked: a second pass publishes nothing

    records = read_topic(topic_for("message.created"))
    envelopes = [json.loads(value) for _, _, value, _ in records]
    assert [e["type"] for e in envelopes] == ["message.created"] * 5 + ["message.edited"]
    assert [e["payload"]["text"] for e in envelopes] == ["m0", "m1", "m2", "m3", "m4", "m0 edited"]
    # One key, so one partition, in the order of the conversation's seq.
    assert {(partition, key) for partition, key, _, _ in records} == {(records[0][0], str(group.id).encode())}
    assert [e["payload"]["seq"] for e in envelopes] == [m.seq for m in sent] + [sent[0].seq]
    assert records[0][3]["event-type"] == b"message.created"

    members = read_envelopes(topic_for("member.joined"))
    assert sorted(e["payload"]["user_id"] for e in members) == sorted([alice.pk, bob.pk])
    assert [e["type"] for e in read_envelopes(topic_for("reaction.added"))] == ["reaction.added"]
    assert [e["type"] for e in read_envelopes(topic_for("conversation.created"))] == ["conversation.created"]
    topics = {topic_for(row.type) for row in OutboxEvent.objects.all()}
    all_ids = Counter(e["id"] for topic in topics for e in read_envelopes(topic))
    assert set(all_ids.values()) == {1}
    assert len(all_ids) == rows


def _emit_many(count, keys=3, type="moderation.reported"):
    with transaction.atomic():
        return [emit(type, key=f"k{i % keys}", payload={"n": i}) for i in range(count)]


@pytest.mark.django_db(transaction=True)
def test_two_relays_at_once_publish_each_row_once_and_keep_order_per_key(kafka):
    """The claim's SKIP LOCKED splits the outbox between relays instead of doubling it."""
    _emit_many(600, keys=7)
    results = []

    def relay_thread():
        from django.db import connection

        try:
            results.append(drain(Relay(batch_size=50)))
        finally:
            connection.close()

    threads = [threading.Thread(target=relay_thread) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert sum(results) == 600
    envelopes = read_envelopes(topic_for("moderation.reported"))
    assert len(envelopes) == 600
    assert len({e["id"] for e in envelopes}) == 600
    for key in {e["key"] for e in envelopes}:
        numbers = [e["payload"]["n"] for e in envelopes if e["key"] == key]
        assert numbers == sorted(numbers), f"key {key} out of order"


@pytest.mark.django_db
def test_a_record_kafka_refuses_for_good_is_set_aside_and_does_not_block_its_key(kafka):
    with transaction.atomic():
        before = emit("moderation.reported", key="a", payload={"n": 1})
        refused = emit("moderation.reported", key="a", payload={"n": 2, "blob": "x" * 1_100_000})
        after = emit("moderation.reported", key="a", payload={"n": 3})
        other_key = emit("moderation.reported", key="b", payload={"n": 4})

    drain()

    published = [e["id"] for e in read_envelopes(topic_for("moderation.reported"))]
    assert sorted(published) == sorted(str(e.id) for e in (before, after, other_key))
    refused.refresh_from_db()
    assert "MSG_SIZE_TOO_LARGE" in refused.last_error  # left for an operator, not retried forever
    assert not OutboxEvent.objects.filter(sent_at__isnull=True).exists()


@pytest.mark.django_db
def test_kafka_down_keeps_events_in_the_outbox_and_publishes_all_when_it_returns(kafka):
    kafka.OUTBOX_DELIVERY_TIMEOUT_SECONDS = 3
    before = _emit_many(20)
    svc("stop", "kafka")
    try:
        during = _emit_many(20)
        relay = Relay(batch_size=100)
        claimed, sent = relay.relay_batch()
        assert (claimed, sent) == (40, 0)
        assert OutboxEvent.objects.filter(sent_at__isnull=True).count() == 40
    finally:
        svc("start", "kafka")
    after = _emit_many(20)
    kafka.OUTBOX_DELIVERY_TIMEOUT_SECONDS = deadline()
    wait_until(lambda: relay.relay_batch()[1] > 0, "the relay to publish again once Kafka is back")
    drain(relay)
    published = [e["id"] for e in read_envelopes(topic_for("moderation.reported"))]
    assert set(published) == {str(e.id) for e in before + during + after}
    assert not OutboxEvent.objects.filter(sent_at__isnull=True).exists()


@pytest.mark.django_db(transaction=True)
def test_relay_command_wakes_on_each_commit_and_exits_cleanly_on_sigterm(kafka):
    def all_sent():
        return not OutboxEvent.objects.filter(sent_at__isnull=True).exists()

    # It polls only every 10 minutes: anything sooner is the commit's NOTIFY waking it.
    proc = manage("relay_outbox", "--poll-seconds", "600", "--log-every", "1", env=subprocess_env())
    out = Output(proc)
    try:
        first = _emit_many(10)
        wait_until(all_sent, "the relay to start and publish the first events")  # then idle in LISTEN
        woke = _emit_many(1)
        wait_until(all_sent, "the relay to wake on the commit's NOTIFY")
        out.wait_for_line("oldest unsent")  # the periodic lag line
        second = _emit_many(300)
        proc.send_signal(signal.SIGTERM)
        output = out.finish()
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, output
    assert "relay: stopped" in output
    assert "oldest unsent" in output  # the periodic lag line
    # Whatever it claimed before SIGTERM it published and marked; the rest waits for the next relay.
    sent_ids = {str(pk) for pk in OutboxEvent.objects.filter(sent_at__isnull=False).values_list("pk", flat=True)}
    published = {e["id"] for e in read_envelopes(topic_for("moderation.reported"))}
    assert {str(e.id) for e in first + woke} <= sent_ids <= published
    drain()
    everything = {str(e.id) for e in first + woke + second}
    assert {e["id"] for e in read_envelopes(topic_for("moderation.reported"))} == everything
