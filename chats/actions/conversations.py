"""Creating conversations, renaming them, archiving them."""

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.selectors import either_blocked
from chats.actions.changes import record
from chats.actions.membership import add_member
from chats.actions.rules import (
    Kind,
    Role,
    forbidden,
    invalid,
    lock_conversation,
    refuse_bot,
    refuse_others_bot,
    require_admin,
    require_member,
    require_open,
)
from chats.models import Conversation
from chats.selectors import member_ids
from chatsite.api_errors import ApiError
from streaming.events import emit

User = get_user_model()


def check_create_conversation(user, *, kind: str, title: str, is_public: bool, member_ids: list[int]) -> list:
    """The invitees, as users. Every id must name an active user whom the creator may add."""
    refuse_bot(user)
    if kind not in (Kind.GROUP, Kind.CHANNEL):
        raise invalid("kind", "Create a group or a channel here; direct conversations have their own endpoint.")
    if not title.strip():
        raise invalid("title", "A group or channel needs a title.")
    if is_public and kind != Kind.CHANNEL:
        raise invalid("is_public", "Only channels can be public.")
    wanted = set(member_ids) - {user.pk}
    invitees = list(User.objects.filter(pk__in=wanted, is_active=True)) if wanted else []
    if len(invitees) != len(wanted):
        raise ApiError("not_found", "Some of member_ids are not users.", 400, fields={"member_ids": ["Unknown user."]})
    for other in invitees:
        if either_blocked(user.pk, other.pk):
            raise forbidden(f"You cannot add {other.username}.", "blocked")
        refuse_others_bot(user, other)
    return invitees


def do_create_conversation(
    user, *, kind: str, title: str, topic: str = "", is_public: bool = False, member_ids: list[int] = ()
) -> Conversation:
    with transaction.atomic():
        invitees = check_create_conversation(user, kind=kind, title=title, is_public=is_public, member_ids=member_ids)
        conversation = Conversation.objects.create(
            kind=kind, title=title.strip(), topic=topic, is_public=is_public, created_by=user
        )
        add_member(conversation, user, Role.OWNER, user)
        for other in sorted(invitees, key=lambda u: u.pk):
            add_member(conversation, other, Role.MEMBER, user)
        _created(conversation, user)
    return conversation


def _created(conversation, actor):
    payload = {
        "conversation_id": str(conversation.id),
        "kind": conversation.kind,
        "member_ids": sorted(member_ids(conversation.id)),
    }
    emit("conversation.created", key=conversation.id, actor=actor, payload=payload)


def check_open_direct(user, other) -> None:
    refuse_bot(user)
    if other.pk == user.pk:
        raise invalid("user_id", "A direct conversation needs another person.")
    if not other.is_active:
        raise ApiError("not_found", "User not found.", 404)
    if either_blocked(user.pk, other.pk):
        raise forbidden("You cannot message this person.", "blocked")
    refuse_others_bot(user, other)


def do_open_direct(user, other) -> tuple[Conversation, bool]:
    """The one direct conversation of this pair: (conversation, created)."""
    low, high = sorted((user.pk, other.pk))
    key = f"{low}:{high}"
    try:
        with transaction.atomic():
            check_open_direct(user, other)
            existing = Conversation.objects.filter(direct_key=key).first()
            if existing:
                return existing, False
            conversation = Conversation.objects.create(kind=Kind.DIRECT, direct_key=key, created_by=user)
            add_member(conversation, user, Role.MEMBER, user)
            add_member(conversation, other, Role.MEMBER, user)
            _created(conversation, user)
    except IntegrityError:  # the other side opened it at the same moment
        return Conversation.objects.get(direct_key=key), False
    return conversation, True


def check_update_conversation(actor, conversation_id, changes: dict) -> Conversation:
    conversation, membership = require_member(actor, conversation_id)
    require_open(conversation)
    if conversation.kind == Kind.DIRECT:
        raise ApiError("not_allowed", "A direct conversation has no title or topic.", 409)
    require_admin(membership)
    if "title" in changes and not changes["title"].strip():
        raise invalid("title", "A group or channel needs a title.")
    return conversation


def do_update_conversation(actor, conversation_id, **changes) -> Conversation:
    """Rename or set the topic."""
    with transaction.atomic():
        lock_conversation(conversation_id)
        conversation = check_update_conversation(actor, conversation_id, changes)
        changes = {k: v.strip() if k == "title" else v for k, v in changes.items() if getattr(conversation, k) != v}
        if not changes:
            return conversation
        for field, value in changes.items():
            setattr(conversation, field, value)
        conversation.save(update_fields=list(changes))
        _updated(conversation, actor, changes)
    return conversation


def _updated(conversation, actor, changes):
    data = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in changes.items()}
    record(conversation.id, "conversation.updated", actor, data, {"conversation_id": str(conversation.id), **data})


def check_archive(actor, conversation_id) -> Conversation:
    conversation, membership = require_member(actor, conversation_id)
    if conversation.kind == Kind.DIRECT:
        raise ApiError("not_allowed", "A direct conversation cannot be archived.", 409)
    if membership.role != Role.OWNER:
        raise forbidden("Only the owner may archive.")
    require_open(conversation)
    return conversation


def do_archive(actor, conversation_id) -> Conversation:
    with transaction.atomic():
        lock_conversation(conversation_id)
        conversation = check_archive(actor, conversation_id)
        conversation.archived_at = timezone.now()
        conversation.save(update_fields=["archived_at"])
        _updated(conversation, actor, {"archived_at": conversation.archived_at})
    return conversation
