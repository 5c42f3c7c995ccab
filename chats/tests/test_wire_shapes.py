"""The wire shapes of events and messages come from serializer instances shared by every call and
thread (chats.serializers.event_frame and message_data): each must equal what a serializer made
afresh for that one object gives, for every kind of event, on each message store."""

from concurrent.futures import ThreadPoolExecutor

import pytest

from chats import actions
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


def fresh(event) -> dict:
    return dict(EventSerializer(event).data)


def test_an_event_frame_equals_a_fresh_serializers_for_every_kind_of_event(store, alice, bob, carol, group):
    events = every_kind_of_event(store, alice, bob, carol, group)
    assert {e.type for e in events} >= KINDS
    # In log order, so a frame without a message follows ones with: nothing carries over.
    assert [event_frame(e) for e in events] == [fresh(e) for e in events]
    messages = [e.message for e in events if e.message]
    assert [message_data(m) for m in messages] == [dict(MessageSerializer(m).data) for m in messages]
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
