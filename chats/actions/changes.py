"""One change to a conversation, three records: the store event with its seq (what a resuming
socket replays), the domain event in the outbox (what Kafka consumers see), and the live push
after commit (what open sockets see at once). Every chat action records its changes here, so
none can forget one of the three."""

from dataclasses import replace

from chats.backends import get_store
from chats.backends.types import Event
from chats.serializers import event_frame
from chats.threads import with_threads
from gateway import fanout
from streaming.events import emit


def announce(event, actor, payload):
    """A store event already written (a message, an edit, a reaction...): its outbox event and its
    push. `payload` is the domain event's body."""
    emit(event.type, key=event.conversation_id, actor=actor, payload=payload)
    if event.message is not None and event.type != "message.created":
        # A root's change (edit, reaction, pin) is pushed with its thread summary, as reads show it.
        event = replace(event, message=with_threads([event.message])[0])
    fanout.push_event_after_commit(event.conversation_id, event_frame(event))
    return event


def record(conversation_id, type, actor, data, payload):
    """A conversation event that is not about one message (a join, a rename): all three records."""
    event = get_store().append_event(conversation_id, type, actor.pk if actor else None, data)
    return announce(event, actor, payload)


def created_event(message):
    """The event of a new message, which the store logs with the message itself."""
    return Event(
        conversation_id=message.conversation_id,
        seq=message.seq,
        type="message.created",
        actor_id=message.sender_id,
        created_at=message.created_at,
        message_id=message.id,
        message=message,
    )


def message_payload(message):
    return {
        "conversation_id": str(message.conversation_id),
        "message_id": str(message.id),
        "seq": message.seq,
        "sender_id": message.sender_id,
        "text": message.text,
        "parent_id": str(message.parent_id) if message.parent_id else None,
        "mentions": message.mentions,
        "mention_all": message.mention_all,
        "attachments": message.attachments,
        "thread_root_id": str(message.thread_root_id) if message.thread_root_id else None,
    }
