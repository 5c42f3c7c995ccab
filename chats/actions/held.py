"""Sends the moderation models held for review (ml.scoring's HOLD).

A held send is kept aside in HeldMessage, not in the message store: it has no seq and no event, so
nobody but its sender knows of it, live or on replay. A moderator approves it, and it is sent as
written, with its client_id, at the end of the conversation; or rejects it, and it is dropped.
moderation.actions wraps both with the permission check, the audit row and the label for ml.
"""

from django.db import transaction
from django.utils import timezone

from chats.actions.posting import post, taken_back_on_failure
from chats.actions.rules import refuse_blocked_peer, writable
from chats.actions.threads import check_thread_root
from chats.attachments import get_attachments
from chats.models import HeldMessage
from chatsite.api_errors import ApiError
from streaming.events import emit

State = HeldMessage.State


class MessageHeld(ApiError):
    """The answer to a held send, and to each retry of it while it waits. 202: accepted, not sent."""

    def __init__(self):
        super().__init__("held_for_review", "Your message is waiting for a moderator's review.", 202)


def rejected():
    return ApiError("held_rejected", "A moderator did not let this message through.", 422)


def hold(
    user, conversation, verdict, *, text, client_id, parent_id, attachment_ids=(), thread_root_id=None
) -> HeldMessage:
    """Keep a held send aside (once per client_id), or raise what its retry should answer. Its
    uploads stay unused (and the sender's) until it is approved."""
    held, created = HeldMessage.objects.get_or_create(
        conversation=conversation,
        sender=user,
        client_id=client_id,
        defaults={
            "text": text,
            "parent_id": parent_id,
            "thread_root_id": thread_root_id,
            "attachment_ids": [str(i) for i in attachment_ids],
            "code": verdict.code,
            "scores": verdict.scores.as_dict(),
        },
    )
    if created:
        emit(
            "moderation.held",
            key=conversation.pk,
            actor=user,
            payload={
                "held_id": str(held.pk),
                "conversation_id": str(conversation.pk),
                "sender_id": user.pk,
                # spam_suspected -> spam: the model's name, as moderation.held_* events carry it
                "kind": verdict.code.removesuffix("_suspected"),
                "scores": verdict.scores.as_dict(),
            },
        )
    if not created and held.state == State.REJECTED:
        raise rejected()
    return held


def check_decide_held(held_id) -> HeldMessage:
    held = HeldMessage.objects.select_for_update().filter(pk=held_id).first()
    if held is None:
        raise ApiError("not_found", "Held message not found.", 404)
    if held.state != State.PENDING:
        raise ApiError("already_decided", f"This message was already {held.state}.", 409)
    return held


def do_approve_held(moderator, held_id) -> tuple[HeldMessage, object]:
    """Send the held message as its sender wrote it: (held, message). The sender must still be
    able to write there; one who left or was blocked meanwhile is refused, with the reason."""
    with taken_back_on_failure() as posted, transaction.atomic():
        held = check_decide_held(held_id)
        conversation, _ = writable(held.sender, held.conversation_id, lock=True)
        refuse_blocked_peer(held.sender, conversation)
        ids = held.attachment_ids
        # The root may have gone since: then the reply is refused like a new send would be.
        root = check_thread_root(conversation, held.thread_root_id) if held.thread_root_id else None
        message, _ = post(
            posted,
            held.sender,
            conversation,
            text=held.text,
            client_id=held.client_id,
            parent_id=held.parent_id,
            attachment_ids=ids,
            attachments=get_attachments().claim(held.sender, conversation, ids) if ids else [],
            thread_root=root,
        )
        _decide(held, moderator, State.APPROVED, message_id=message.id)
    return held, message


def do_reject_held(moderator, held_id) -> HeldMessage:
    with transaction.atomic():
        held = check_decide_held(held_id)
        _decide(held, moderator, State.REJECTED)
    return held


def _decide(held, moderator, state, message_id=None):
    held.state, held.decided_by, held.decided_at, held.message_id = state, moderator, timezone.now(), message_id
    held.save(update_fields=["state", "decided_by", "decided_at", "message_id"])
