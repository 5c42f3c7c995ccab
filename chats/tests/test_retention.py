"""Retention policies delete old messages through the tombstone path, in batches, on either store."""

from datetime import timedelta

import pytest
from django.utils import timezone

from chats import retention
from chats.models import RetentionPolicy, RetentionRun
from chats.tasks import apply_retention
from streaming.models import OutboxEvent
from testkit.factories import group_of, send

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent_days_ago(monkeypatch):
    """send(), as if it happened `days` ago (the stores stamp messages with timezone.now())."""

    def do(days, user, conversation, text):
        then = timezone.now() - timedelta(days=days)
        with monkeypatch.context() as patch:
            patch.setattr(timezone, "now", lambda: then)
            return send(user, conversation, text)

    return do


def test_messages_past_the_policy_are_tombstoned_in_batches_and_the_log_keeps_its_seqs(
    store, alice, bob, sent_days_ago
):
    room = group_of(alice, bob)
    old = [sent_days_ago(40, alice, room, f"old {i}") for i in range(3)]
    recent = send(bob, room, "recent")
    seq_before = store.latest_seq(room.id)
    policy = RetentionPolicy.objects.create(kind="group", days=30)

    run = retention.apply_policy(policy, batch=2)

    assert [store.get(m.id).is_deleted for m in old] == [True, True, True]
    assert store.get(recent.id).text == "recent"
    events = store.events_after(room.id, 0, 100)
    assert [e.seq for e in events] == list(range(1, seq_before + 4))  # every seq kept, no gap
    deleted = [e for e in events if e.type == "message.deleted"]
    assert [e.message_id for e in deleted] == [m.id for m in old]
    assert all(e.actor_id is None for e in deleted)  # no person did it
    assert OutboxEvent.objects.filter(type="message.deleted").count() == 3
    assert (run.deleted, run.conversations, run.finished_at is not None) == (3, 1, True)
    assert run.policy_text == "every group: 30 days"


def test_running_again_deletes_nothing_more(store, alice, bob, sent_days_ago):
    room = group_of(alice, bob)
    sent_days_ago(40, alice, room, "old")
    policy = RetentionPolicy.objects.create(kind="group", days=30)
    retention.apply_policy(policy)
    seq = store.latest_seq(room.id)
    assert retention.apply_policy(policy).deleted == 0
    assert store.latest_seq(room.id) == seq


def test_a_conversations_own_policy_wins_over_its_kinds(store, alice, bob, sent_days_ago):
    keep_long = group_of(alice, bob, title="archive")
    ordinary = group_of(alice, bob, title="chatter")
    in_archive = sent_days_ago(40, alice, keep_long, "kept")
    in_chatter = sent_days_ago(40, alice, ordinary, "gone")
    RetentionPolicy.objects.create(kind="group", days=30)
    RetentionPolicy.objects.create(conversation=keep_long, days=365)

    assert apply_retention() == 1

    assert store.get(in_archive.id).text == "kept"
    assert store.get(in_chatter.id).is_deleted
    assert RetentionRun.objects.count() == 2  # one audited run per policy


def test_other_kinds_are_left_alone(store, alice, bob, sent_days_ago):
    from chats import actions

    channel = actions.do_create_conversation(alice, kind="channel", title="news", member_ids=[bob.pk])
    message = sent_days_ago(400, alice, channel, "old news")
    RetentionPolicy.objects.create(kind="group", days=1)
    assert apply_retention() == 0
    assert not store.get(message.id).is_deleted


def test_a_policy_names_a_kind_or_a_conversation_never_both(alice, bob):
    from django.db import IntegrityError, transaction

    room = group_of(alice, bob)
    with pytest.raises(IntegrityError), transaction.atomic():
        RetentionPolicy.objects.create(kind="group", conversation=room, days=3)
    with pytest.raises(IntegrityError), transaction.atomic():
        RetentionPolicy.objects.create(days=3)
