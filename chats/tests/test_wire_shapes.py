"""The wire shapes of events and messages are built directly (chats.serializers.event_frame and
message_data), for speed: each must equal what DRF's own walk of the declared serializers gives for
that object, for every kind of event, on each message store, and on many threads at once."""

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from rest_framework import serializers

from chats import actions
from chats.backends.types import Message
from chats.selectors import hide
from chats.serializers import EventSerializer, MessageSerializer, event_frame, message_data
from chats.threads import with_thread_events
from testkit.factories import send

pytestmark = pytest.mark.django_db

KINDS = {
    "message.created",
    "message.edited",
    "message.deleted",
    "reaction.added",
    "message.pinned",
    "member.joined",
    "hidden",
}


def every_kind_of_event(store, alice, bob, carol, group):
    """The group's log after one of each change, as a replay reads it, with one event hidden as a
    blocker sees it."""
    root = send(alice, group, "the root, see https://example.org, @bob")
    send(bob, group, "a reply in its thread", thread_root=root)
    actions.do_edit_message(alice, group.id, root.id, "the root, edited")
    actions.do_react(bob, group.id, root.id, "👍")
    actions.do_set_pinned(alice, group.id, root.id, True)
    gone = send(bob, group, "soon deleted")
    actions.do_delete_message(bob, group.id, gone.id)
    actions.do_invite(alice, group.id, carol)
    events = with_thread_events(store.events_after(group.id, 0, 100))
    return [*events, hide(events[-1])]


class DeclaredMessage(MessageSerializer):
    """The declared fields, walked by DRF itself."""

    to_representation = serializers.Serializer.to_representation


class DeclaredEvent(EventSerializer):
    message = DeclaredMessage(allow_null=True)
    to_representation = serializers.Serializer.to_representation


def fresh(event) -> dict:
    return dict(DeclaredEvent(event).data)


def test_an_event_frame_equals_a_fresh_serializers_for_every_kind_of_event(store, alice, bob, carol, group):
    events = every_kind_of_event(store, alice, bob, carol, group)
    assert {e.type for e in events} >= KINDS
    # In log order, so a frame without a message follows ones with: nothing carries over.
    assert [event_frame(e) for e in events] == [fresh(e) for e in events]
    messages = [e.message for e in events if e.message]
    assert [message_data(m) for m in messages] == [dict(DeclaredMessage(m).data) for m in messages]
    # The API's serializers answer the same, nested or not.
    assert [dict(MessageSerializer(m).data) for m in messages] == [message_data(m) for m in messages]
    thread = next(e for e in events if e.data.get("thread"))
    assert event_frame(thread)["data"]["thread"]["reply_count"] == 1


def test_frames_built_on_many_threads_at_once_are_each_events_own(store, alice, bob, carol, group):
    events = every_kind_of_event(store, alice, bob, carol, group)
    expected = [fresh(e) for e in events]

    def frames(_):
        return [event_frame(e) for e in events]

    with ThreadPoolExecutor(max_workers=8) as pool:
        for built in pool.map(frames, range(64)):
            assert built == expected


def test_a_message_with_every_field_set_and_a_bare_tombstone_have_the_declared_shapes():
    stamp = datetime(2026, 12, 2, 16, 30, 5, 123456, tzinfo=UTC)
    full = Message(
        id=uuid4(),
        conversation_id=uuid4(),
        seq=7,
        sender_id=3,
        client_id="c-1",
        text='quotes " and <b>markup</b>',
        created_at=datetime(2026, 12, 2, 16, 30, 5),  # naive, as a store may give it back
        parent_id=uuid4(),
        mentions=[3, 4],
        mention_all=True,
        edited_at=stamp,
        pinned_at=stamp,
        pinned_by_id=3,
        reactions={"\N{THUMBS UP SIGN}": [3, 4], "x": []},
        attachments=[{"id": "u1", "name": "a.png", "size": 10, "width": None, 5: "odd key"}],
        thread_root_id=uuid4(),
        reply_count=2,
        last_reply_at=stamp,
        previews=[{"url": "https://example.org", "image": None}],
    )
    tombstone = Message(uuid4(), uuid4(), 8, None, "c-2", "", stamp, deleted_at=stamp)
    for message in (full, tombstone):
        assert message_data(message) == dict(DeclaredMessage(message).data)
    assert message_data(full)["created_at"].endswith("Z")


def test_times_go_out_in_utc_with_z_from_any_zone_and_whatever_zone_a_request_activated():
    paris = datetime(2026, 12, 2, 17, 30, 5, 250000, tzinfo=ZoneInfo("Europe/Paris"))
    message = Message(uuid4(), uuid4(), 9, 3, "c-3", "hi", paris, edited_at=paris.replace(microsecond=0))
    assert message_data(message) == dict(DeclaredMessage(message).data)
    assert message_data(message)["created_at"] == "2026-12-02T16:30:05.250000Z"
    assert message_data(message)["edited_at"] == "2026-12-02T16:30:05Z"
    with timezone.override("America/New_York"):  # the wire does not follow a request's zone
        assert message_data(message)["created_at"] == "2026-12-02T16:30:05.250000Z"
