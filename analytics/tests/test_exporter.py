"""The embedded route: outbox events land as raw Parquet, each once, carrying on from a checkpoint."""

from datetime import timedelta

import pyarrow.parquet as pq
from django.utils import timezone

from analytics import exporter, raw
from testkit.factories import group_of, send


def exported_rows():
    return [row for path in sorted(raw.raw_dir().rglob("*.parquet")) for row in pq.read_table(path).to_pylist()]


def test_outbox_events_are_exported_once_with_the_conversation_kind(data_dir, alice, bob):
    conversation = group_of(alice, bob)
    send(alice, conversation, "hello")
    later = timezone.now() + timedelta(minutes=5)
    first = exporter.export(now=later)
    assert first > 0
    assert exporter.export(now=later) == 0  # the checkpoint holds
    rows = exported_rows()
    assert len(rows) == first
    message = next(r for r in rows if r["type"] == "message.created")
    assert message["actor_id"] == alice.pk
    assert message["conversation_id"] == str(conversation.id)
    assert message["kind"] == "group"
    day = message["occurred_at"].date()
    assert raw.day_dir(day).is_dir()


def test_events_younger_than_the_settle_delay_wait_for_the_next_run(data_dir, alice, bob):
    conversation = group_of(alice, bob)
    send(alice, conversation, "hello")
    assert exporter.export(now=timezone.now()) == 0
    waited = exporter.export(now=timezone.now() + timedelta(seconds=exporter.SETTLE_SECONDS + 1))
    assert waited > 0
    send(bob, conversation, "and again")
    assert exporter.export(now=timezone.now() + timedelta(minutes=5)) >= 1
    assert len({r["event_id"] for r in exported_rows()}) == len(exported_rows())
