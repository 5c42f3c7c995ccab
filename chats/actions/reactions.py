"""Reactions and pins: changes to a message that anyone in the conversation sees."""

from django.db import transaction

from chats.actions.changes import announce, message_payload
from chats.actions.messages import own_message
from chats.actions.rules import Kind, forbidden, invalid, refuse_blocked_peer
from chats.backends import get_store
from chats.backends.types import AlreadyDone, Message

EMOJI_MAX = 32


def check_react(user, conversation_id, message_id, emoji: str) -> Message:
    if not isinstance(emoji, str) or not emoji or len(emoji) > EMOJI_MAX or any(c.isspace() for c in emoji):
        raise invalid("emoji", f"An emoji is 1-{EMOJI_MAX} characters without spaces.")
    if any(ord(c) < 32 or ord(c) == 127 for c in emoji):
        raise invalid("emoji", "An emoji has no control characters.")
    conversation, _, message = own_message(user, conversation_id, message_id)
    refuse_blocked_peer(user, conversation)
    return message


def do_react(user, conversation_id, message_id, emoji: str, add: bool = True) -> Message:
    """Add or remove one reaction. Returns the message; doing it twice changes nothing."""
    store = get_store()
    try:
        with transaction.atomic():
            message = check_react(user, conversation_id, message_id, emoji)
            change = store.add_reaction if add else store.remove_reaction
            event = change(message.id, user.pk, emoji)
            announce(
                event, user, {**message_payload(event.message), "seq": event.seq, "user_id": user.pk, "emoji": emoji}
            )
    except AlreadyDone:
        return store.get(message_id)
    return event.message


def check_pin(user, conversation_id, message_id) -> Message:
    conversation, membership, message = own_message(user, conversation_id, message_id)
    if conversation.kind != Kind.DIRECT and not membership.is_admin:
        raise forbidden("Only the owner or an admin may pin.")
    refuse_blocked_peer(user, conversation)
    return message


def do_set_pinned(user, conversation_id, message_id, pinned: bool) -> Message:
    store = get_store()
    try:
        with transaction.atomic():
            message = check_pin(user, conversation_id, message_id)
            event = store.set_pinned(message.id, pinned, user.pk)
            payload = {
                "conversation_id": str(conversation_id),
                "message_id": str(message.id),
                "seq": event.seq,
                "pinned": pinned,
            }
            announce(event, user, payload)
    except AlreadyDone:
        return store.get(message_id)
    return event.message
