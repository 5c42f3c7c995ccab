"""Link previews of a message: set once by the lookup that follows a send (the files app runs it),
and taken away by the message's author. Each is an event with its own seq, so replay carries it."""

from django.db import transaction

from chats.actions.changes import announce
from chats.actions.messages import own_message
from chats.actions.rules import forbidden
from chats.backends import get_store
from chats.backends.types import AlreadyDone, Message


def _payload(event):
    return {
        "conversation_id": str(event.conversation_id),
        "message_id": str(event.message_id),
        "seq": event.seq,
        "previews": event.message.previews,
    }


def do_set_previews(message_id, previews: list[dict]) -> Message | None:
    """The system's write, after the lookup: a message deleted meanwhile, or whose author already
    removed its previews, keeps what it has (None is returned)."""
    store = get_store()
    try:
        with transaction.atomic():
            event = store.set_previews(message_id, previews, None, first=True)
            announce(event, None, _payload(event))
    except AlreadyDone:
        return None
    return event.message


def check_remove_previews(user, conversation_id, message_id) -> Message:
    _, _, message = own_message(user, conversation_id, message_id)
    if message.sender_id != user.pk:
        raise forbidden("Only the sender may remove a message's link previews.")
    return message


def do_remove_previews(user, conversation_id, message_id) -> Message:
    """Idempotent: removing them twice, or before any were found, leaves none."""
    store = get_store()
    try:
        with transaction.atomic():
            message = check_remove_previews(user, conversation_id, message_id)
            event = store.set_previews(message.id, [], user.pk, first=False)
            announce(event, user, _payload(event))
    except AlreadyDone:
        return store.get(message_id)
    return event.message
