"""The periodic clean-ups: sent outbox rows and dedupe records past retention, and tombstones of
deleted messages, purged without leaving a hole in the conversation's log."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from chats import actions
from chats.backends import get_store
from chats.tasks import purge_tombstones
from streaming.events import emit
from streaming.models import OutboxEvent, ProcessedEvent
from streaming.tasks import trim_outbox

pytestmark = pytest.mark.django_db


def test_trim_deletes_sent_rows_and_dedupe_records_past_retention_and_never_an_unsent_row(settings):
    settings.OUTBOX_RETENTION_DAYS = 7
    settings.PROCESSED_EVENT_RETENTION_DAYS = 14
    now = timezone.now()
    old_sent, recent_sent, old_unsent = (emit("moderation.reported", key="k", payload={}) for _ in range(3))
    OutboxEvent.objects.filter(pk=old_sent.pk).update(sent_at=now - timedelta(days=8))
    OutboxEvent.objects.filter(pk=recent_sent.pk).update(sent_at=now - timedelta(days=6))
    OutboxEvent.objects.filter(pk=old_unsent.pk).update(occurred_at=now - timedelta(days=30), sent_at=None)
    ProcessedEvent.objects.create(group="g", event_id=old_sent.pk, processed_at=now - timedelta(days=15))
    ProcessedEvent.objects.create(group="g", event_id=recent_sent.pk, processed_at=now - timedelta(days=13))

    assert trim_outbox.apply().get() == {"outbox": 1, "processed": 1}

    assert set(OutboxEvent.objects.values_list("pk", flat=True)) == {recent_sent.pk, old_unsent.pk}
    assert list(ProcessedEvent.objects.values_list("event_id", flat=True)) == [recent_sent.pk]


@pytest.fixture
def conversation(make_user):
    alice, bob = make_user(), make_user()
    group = actions.do_create_conversation(alice, kind="group", title="Team", member_ids=[bob.pk])
    return alice, bob, group


def _send(user, group, text):
    return actions.do_send_message(user, group.id, text=text, client_id=text)[0]


def test_purge_drops_old_tombstones_but_every_seq_stays_in_the_log(conversation):
    alice, bob, group = conversation
    store = get_store()
    kept, purged, recent = (_send(alice, group, t) for t in ("kept", "purged", "recent"))
    actions.do_react(bob, group.id, purged.id, "👍")
    actions.do_delete_message(alice, group.id, purged.id)
    cutoff = timezone.now()
    actions.do_delete_message(alice, group.id, recent.id)
    latest = store.latest_seq(group.id)

    assert store.purge_tombstones(cutoff) >= 1  # ours, and any older one a MongoDB store still holds

    assert store.get(purged.id) is None
    assert store.get(recent.id).is_deleted  # deleted after the cutoff: still a tombstone
    assert store.latest_seq(group.id) == latest
    log = store.events_after(group.id, 0, 100)
    assert [e.seq for e in log] == list(range(1, latest + 1))
    of_purged = [e for e in log if e.message_id == purged.id]
    assert [e.type for e in of_purged] == ["message.created", "reaction.added", "message.deleted"]
    assert all(e.message is None for e in of_purged)
    assert [m.id for m in store.page(group.id, after=0, limit=10)] == [kept.id, recent.id]
    assert store.purge_tombstones(cutoff) == 0


def test_after_the_purge_clients_still_page_and_replay_the_conversation(conversation, settings):
    alice, _, group = conversation
    _, gone, last = (_send(alice, group, t) for t in ("first", "gone", "last"))
    actions.do_delete_message(alice, group.id, gone.id)
    settings.TOMBSTONE_RETENTION_DAYS = 0

    # At least ours: a store outside the test transaction (MongoDB) may hold older tombstones too.
    assert purge_tombstones.apply().get() >= 1
    assert get_store().get(gone.id) is None

    client = APIClient()
    client.force_authenticate(alice)
    events = client.get(f"/api/v1/conversations/{group.id}/events", {"after": 0})
    assert events.status_code == 200, events.json()
    seqs = [e["seq"] for e in events.json()["results"]]
    assert seqs == list(range(1, seqs[-1] + 1))
    assert [e["message"] for e in events.json()["results"] if e["seq"] == gone.seq] == [None]
    page = client.get(f"/api/v1/conversations/{group.id}/messages", {"before": last.seq + 1})
    assert page.status_code == 200
    assert [m["text"] for m in page.json()["results"]] == ["first", "last"]
    around = client.get(f"/api/v1/conversations/{group.id}/messages", {"around": gone.seq})
    assert [m["text"] for m in around.json()["results"]] == ["first", "last"]
