"""Every write of the chat domain. REST views, the WebSocket consumer, the admin and commands
all call these, so each rule lives here once.

`check_*` validates and authorizes, raising ApiError; `do_*` writes in one transaction, logs the
conversation event (with its seq) in the store, writes the domain event to the outbox, and pushes
to live sockets after commit.
"""

import re

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from chats import mentions, ratelimit, realtime
from chats.backends import get_store
from chats.backends.types import AlreadyDone
from chats.models import Conversation, Membership, MessageReport
from chats.selectors import conversation_for, member_ids, membership_of, message_in, not_found
from chatsite.api_errors import ApiError
from graph.selectors import either_blocked
from streaming.events import emit

User = get_user_model()
Role = Membership.Role
Kind = Conversation.Kind

EMOJI_MAX = 32
CLIENT_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def forbidden(message, code="forbidden"):
    return ApiError(code, message, 403)


def invalid(field, message, code="invalid"):
    return ApiError(code, message, 400, fields={field: [message]})


# --- conversations ---


def _log(conversation_id, type, actor, data):
    """A conversation event that is not about one message: it gets a seq, so resume replays it."""
    event = get_store().append_event(conversation_id, type, actor.pk if actor else None, data)
    realtime.push_after_commit(event)
    return event


def _add_member(conversation, user, role, actor):
    membership = Membership.objects.create(conversation=conversation, user=user, role=role)
    joined = _log(conversation.id, "member.joined", actor, {"user_id": user.pk, "role": role})
    emit("member.joined", key=conversation.id, actor=actor, payload=_member_payload(conversation, user, role))
    realtime.membership_changed_after_commit(user.pk, conversation.id, joined=True, seq=joined.seq)
    return membership


def _member_payload(conversation, user, role=None):
    return {"conversation_id": str(conversation.id), "user_id": user.pk, "role": role, "kind": conversation.kind}


def check_create_conversation(user, *, kind, title, is_public, invitees):
    if kind not in (Kind.GROUP, Kind.CHANNEL):
        raise invalid("kind", "Create a group or a channel here; direct conversations have their own endpoint.")
    if not title.strip():
        raise invalid("title", "A group or channel needs a title.")
    if is_public and kind != Kind.CHANNEL:
        raise invalid("is_public", "Only channels can be public.")
    for other in invitees:
        if either_blocked(user.pk, other.pk):
            raise forbidden(f"You cannot add {other.username}.", "blocked")


def do_create_conversation(user, *, kind, title, topic="", is_public=False, invitees=()):
    check_create_conversation(user, kind=kind, title=title, is_public=is_public, invitees=invitees)
    with transaction.atomic():
        conversation = Conversation.objects.create(
            kind=kind, title=title.strip(), topic=topic, is_public=is_public, created_by=user
        )
        _add_member(conversation, user, Role.OWNER, user)
        for other in {u.pk: u for u in invitees if u.pk != user.pk}.values():
            _add_member(conversation, other, Role.MEMBER, user)
        emit(
            "conversation.created",
            key=conversation.id,
            actor=user,
            payload={
                "conversation_id": str(conversation.id),
                "kind": kind,
                "member_ids": sorted(member_ids(conversation.id)),
            },
        )
    return conversation


def check_open_direct(user, other):
    if other.pk == user.pk:
        raise invalid("user_id", "A direct conversation needs another person.")
    if not other.is_active:
        raise ApiError("not_found", "User not found.", 404)
    if either_blocked(user.pk, other.pk):
        raise forbidden("You cannot message this person.", "blocked")


def do_open_direct(user, other):
    """The one direct conversation of this pair: (conversation, created)."""
    check_open_direct(user, other)
    low, high = sorted((user.pk, other.pk))
    key = f"{low}:{high}"
    existing = Conversation.objects.filter(direct_key=key).first()
    if existing:
        return existing, False
    try:
        with transaction.atomic():
            conversation = Conversation.objects.create(kind=Kind.DIRECT, direct_key=key, created_by=user)
            _add_member(conversation, user, Role.MEMBER, user)
            _add_member(conversation, other, Role.MEMBER, user)
            emit(
                "conversation.created",
                key=conversation.id,
                actor=user,
                payload={"conversation_id": str(conversation.id), "kind": Kind.DIRECT, "member_ids": [low, high]},
            )
    except IntegrityError:  # the other side opened it at the same moment
        return Conversation.objects.get(direct_key=key), False
    return conversation, True


def _require_member(user, conversation_id):
    conversation, membership = conversation_for(user, conversation_id)
    if membership is None:
        raise forbidden("Join this conversation first.", "not_member")
    return conversation, membership


def _require_open(conversation):
    if conversation.is_archived:
        raise ApiError("archived", "This conversation is archived.", 409)


def _require_admin(membership):
    if not membership.is_admin:
        raise forbidden("Only the owner or an admin may do this.")


def check_invite(actor, conversation_id, target):
    conversation, membership = _require_member(actor, conversation_id)
    _require_open(conversation)
    if conversation.kind == Kind.DIRECT:
        raise ApiError("not_allowed", "A direct conversation has exactly two people.", 409)
    _require_admin(membership)
    if not target.is_active:
        raise ApiError("not_found", "User not found.", 404)
    if either_blocked(actor.pk, target.pk):
        raise forbidden(f"You cannot add {target.username}.", "blocked")
    if membership_of(target, conversation_id):
        raise ApiError("already_member", f"{target.username} is already a member.", 409)
    return conversation


def do_invite(actor, conversation_id, target):
    conversation = check_invite(actor, conversation_id, target)
    with transaction.atomic():
        return _add_member(conversation, target, Role.MEMBER, actor)


def check_join(user, conversation_id):
    conversation, membership = conversation_for(user, conversation_id)
    if membership:
        raise ApiError("already_member", "You are already a member.", 409)
    if not conversation.is_public:
        raise not_found()
    _require_open(conversation)
    return conversation


def do_join(user, conversation_id):
    conversation = check_join(user, conversation_id)
    try:
        with transaction.atomic():
            return _add_member(conversation, user, Role.MEMBER, user)
    except IntegrityError:  # a double click: the first join won
        raise ApiError("already_member", "You are already a member.", 409) from None


def _remove_member(conversation, membership, actor, reason):
    membership.delete()
    user = membership.user
    _log(conversation.id, "member.left", actor, {"user_id": user.pk, "reason": reason})
    emit(
        "member.left",
        key=conversation.id,
        actor=actor,
        payload={**_member_payload(conversation, user), "reason": reason},
    )
    realtime.membership_changed_after_commit(user.pk, conversation.id, joined=False)


def check_leave(user, conversation_id):
    conversation, membership = _require_member(user, conversation_id)
    if conversation.kind == Kind.DIRECT:
        raise ApiError("not_allowed", "A direct conversation cannot be left; block the person instead.", 409)
    return conversation, membership


def do_leave(user, conversation_id):
    conversation, membership = check_leave(user, conversation_id)
    with transaction.atomic():
        _remove_member(conversation, membership, user, "left")
        if membership.role == Role.OWNER:
            _hand_over_ownership(conversation, user)


def _hand_over_ownership(conversation, previous_owner):
    # The longest-serving admin, else the longest-serving member, becomes owner.
    remaining = Membership.objects.filter(conversation=conversation).select_related("user").order_by("joined_at", "id")
    heir = remaining.filter(role=Role.ADMIN).first() or remaining.first()
    if heir is None:
        return
    _set_role(conversation, heir, Role.OWNER, previous_owner)


def check_kick(actor, conversation_id, target):
    conversation, membership = _require_member(actor, conversation_id)
    _require_admin(membership)
    target_membership = membership_of(target, conversation_id)
    if target_membership is None:
        raise ApiError("not_found", "That user is not a member.", 404)
    if target.pk == actor.pk:
        raise invalid("user_id", "Use leave to remove yourself.")
    if target_membership.role == Role.OWNER or (target_membership.is_admin and membership.role != Role.OWNER):
        raise forbidden("Only the owner may remove an admin, and nobody may remove the owner.")
    return conversation, target_membership


def do_kick(actor, conversation_id, target):
    conversation, target_membership = check_kick(actor, conversation_id, target)
    with transaction.atomic():
        _remove_member(conversation, target_membership, actor, "kicked")


def check_set_role(actor, conversation_id, target, role):
    conversation, membership = _require_member(actor, conversation_id)
    if role not in (Role.ADMIN, Role.MEMBER):
        raise invalid("role", "A role is 'admin' or 'member'.")
    if membership.role != Role.OWNER:
        raise forbidden("Only the owner may promote or demote.")
    target_membership = membership_of(target, conversation_id)
    if target_membership is None:
        raise ApiError("not_found", "That user is not a member.", 404)
    if target_membership.role == Role.OWNER:
        raise invalid("user_id", "The owner's role cannot change.")
    return conversation, target_membership


def do_set_role(actor, conversation_id, target, role):
    conversation, target_membership = check_set_role(actor, conversation_id, target, role)
    with transaction.atomic():
        _set_role(conversation, target_membership, role, actor)
    return target_membership


def _set_role(conversation, membership, role, actor):
    membership.role = role
    membership.save(update_fields=["role"])
    _log(conversation.id, "member.role_changed", actor, {"user_id": membership.user_id, "role": role})
    emit(
        "member.role_changed",
        key=conversation.id,
        actor=actor,
        payload=_member_payload(conversation, membership.user, role),
    )


def check_update_conversation(actor, conversation_id, changes):
    conversation, membership = _require_member(actor, conversation_id)
    _require_open(conversation)
    if conversation.kind == Kind.DIRECT:
        raise ApiError("not_allowed", "A direct conversation has no title or topic.", 409)
    _require_admin(membership)
    if "title" in changes and not changes["title"].strip():
        raise invalid("title", "A group or channel needs a title.")
    return conversation


def do_update_conversation(actor, conversation_id, **changes):
    """Rename or set the topic."""
    conversation = check_update_conversation(actor, conversation_id, changes)
    changes = {k: v.strip() if k == "title" else v for k, v in changes.items() if getattr(conversation, k) != v}
    if not changes:
        return conversation
    with transaction.atomic():
        for field, value in changes.items():
            setattr(conversation, field, value)
        conversation.save(update_fields=list(changes))
        _conversation_updated(conversation, actor, changes)
    return conversation


def _conversation_updated(conversation, actor, changes):
    data = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in changes.items()}
    _log(conversation.id, "conversation.updated", actor, data)
    emit(
        "conversation.updated",
        key=conversation.id,
        actor=actor,
        payload={"conversation_id": str(conversation.id), **data},
    )


def check_archive(actor, conversation_id):
    conversation, membership = _require_member(actor, conversation_id)
    if conversation.kind == Kind.DIRECT:
        raise ApiError("not_allowed", "A direct conversation cannot be archived.", 409)
    if membership.role != Role.OWNER:
        raise forbidden("Only the owner may archive.")
    _require_open(conversation)
    return conversation


def do_archive(actor, conversation_id):
    conversation = check_archive(actor, conversation_id)
    with transaction.atomic():
        conversation.archived_at = timezone.now()
        conversation.save(update_fields=["archived_at"])
        _conversation_updated(conversation, actor, {"archived_at": conversation.archived_at})
    return conversation


# --- messages ---


def _check_text(text):
    if not isinstance(text, str) or not text.strip():
        raise invalid("text", "A message needs some text.")
    if len(text) > settings.MESSAGE_MAX_LENGTH:
        raise invalid("text", f"A message is at most {settings.MESSAGE_MAX_LENGTH} characters.", "too_long")


def _writable(user, conversation_id):
    conversation, membership = _require_member(user, conversation_id)
    _require_open(conversation)
    return conversation, membership


def check_send_message(user, conversation_id, *, text, client_id, parent_id=None):
    conversation, _ = _writable(user, conversation_id)
    if not isinstance(client_id, str) or not CLIENT_ID.match(client_id):
        raise invalid("client_id", "client_id is 1-64 letters, digits or . _ : -")
    _check_text(text)
    if conversation.kind == Kind.DIRECT:
        peer = next(iter(member_ids(conversation.id) - {user.pk}), None)
        if peer and either_blocked(user.pk, peer):
            raise forbidden("You cannot message this person.", "blocked")
    if parent_id is not None:
        parent = get_store().get(parent_id)
        if parent is None or parent.conversation_id != conversation.id or parent.is_deleted:
            raise invalid("parent_id", "The message you reply to is not in this conversation.")
    return conversation


def check_send_rate(user):
    retry_after = ratelimit.hit(f"send:{user.pk}", settings.MESSAGE_RATE_LIMIT)
    if retry_after:
        raise ApiError(
            "rate_limited",
            f"Too many messages; try again in {retry_after} s.",
            429,
            headers={"Retry-After": str(retry_after)},
        )


def _resolve_mentions(conversation, text):
    names, everyone = mentions.parse(text)
    if not names:
        return [], everyone
    ids = User.objects.filter(username__in=names, memberships__conversation=conversation).values_list("pk", flat=True)
    return sorted(ids), everyone


def _message_payload(message):
    return {
        "conversation_id": str(message.conversation_id),
        "message_id": str(message.id),
        "seq": message.seq,
        "sender_id": message.sender_id,
        "text": message.text,
        "parent_id": str(message.parent_id) if message.parent_id else None,
        "mentions": message.mentions,
        "mention_all": message.mention_all,
    }


def do_send_message(user, conversation_id, *, text, client_id, parent_id=None):
    """(message, created). A retry with the same client_id returns the first message."""
    conversation = check_send_message(user, conversation_id, text=text, client_id=client_id, parent_id=parent_id)
    store, sent = get_store(), None
    try:
        check_send_rate(user)
    except ApiError:
        # A retry is answered even when a new send would be rate-limited. Looked up only here:
        # on the common path the store finds a retry inside its transaction, one query fewer.
        existing = store.find_by_client_id(conversation.id, user.pk, client_id)
        if existing:
            return existing, False
        raise
    mentioned, everyone = _resolve_mentions(conversation, text)
    try:
        with transaction.atomic():
            message, created = store.send(
                conversation_id=conversation.id,
                sender_id=user.pk,
                client_id=client_id,
                text=text,
                parent_id=parent_id,
                mentions=mentioned,
                mention_all=everyone,
            )
            if created:
                sent = message
                emit("message.created", key=conversation.id, actor=user, payload=_message_payload(message))
                realtime.push_after_commit(realtime.created_event(message))
    except BaseException:
        # A store outside the relational DB (MongoDB) kept the message when the outbox row rolled
        # back: take it back, so that no message exists without its domain event.
        if sent is not None:
            store.discard(sent)
        raise
    return message, created


def _own_message(user, conversation_id, message_id):
    conversation, membership = _writable(user, conversation_id)
    _, _, message = message_in(user, conversation_id, message_id)
    if message.is_deleted:
        raise ApiError("deleted", "This message was deleted.", 409)
    return conversation, membership, message


def check_edit_message(user, conversation_id, message_id, text):
    _, _, message = _own_message(user, conversation_id, message_id)
    if message.sender_id != user.pk:
        raise forbidden("Only the sender may edit a message.")
    _check_text(text)
    return message


def do_edit_message(user, conversation_id, message_id, text):
    message = check_edit_message(user, conversation_id, message_id, text)
    if text == message.text:
        return message
    try:
        with transaction.atomic():
            event = get_store().edit(message.id, text, user.pk)
            emit("message.edited", key=conversation_id, actor=user, payload=_message_payload(event.message))
            realtime.push_after_commit(event)
    except AlreadyDone:  # deleted between the check and the write
        raise ApiError("deleted", "This message was deleted.", 409) from None
    return event.message


def check_delete_message(user, conversation_id, message_id):
    _, membership, message = _own_message(user, conversation_id, message_id)
    if message.sender_id != user.pk and not membership.is_admin:
        raise forbidden("Only the sender, an admin or the owner may delete a message.")
    return message


def do_delete_message(user, conversation_id, message_id):
    message = check_delete_message(user, conversation_id, message_id)
    try:
        return tombstone(user, message)
    except AlreadyDone:  # two deletes raced: the first one's tombstone is the answer
        return get_store().get(message.id)


def tombstone(actor, message):
    """Delete a message for everyone, whoever asks (its sender, a conversation admin, or a moderator
    through moderation.actions): the store leaves the tombstone and logs message.deleted with a seq,
    so live sockets and resuming ones see it. Callers check first. Raises AlreadyDone."""
    with transaction.atomic():
        event = get_store().delete(message.id, actor.pk)
        payload = {"conversation_id": str(message.conversation_id), "message_id": str(message.id), "seq": event.seq}
        emit("message.deleted", key=message.conversation_id, actor=actor, payload=payload)
        realtime.push_after_commit(event)
    return event.message


def check_react(user, conversation_id, message_id, emoji):
    if not isinstance(emoji, str) or not emoji or len(emoji) > EMOJI_MAX or any(c.isspace() for c in emoji):
        raise invalid("emoji", f"An emoji is 1-{EMOJI_MAX} characters without spaces.")
    return _own_message(user, conversation_id, message_id)[2]


def do_react(user, conversation_id, message_id, emoji, add=True):
    """Add or remove one reaction. Returns the message; doing it twice changes nothing."""
    message = check_react(user, conversation_id, message_id, emoji)
    store = get_store()
    try:
        with transaction.atomic():
            change = store.add_reaction if add else store.remove_reaction
            event = change(message.id, user.pk, emoji)
            payload = {**_message_payload(event.message), "seq": event.seq, "user_id": user.pk, "emoji": emoji}
            emit(event.type, key=conversation_id, actor=user, payload=payload)
            realtime.push_after_commit(event)
    except AlreadyDone:
        return store.get(message.id)
    return event.message


def check_pin(user, conversation_id, message_id):
    conversation, membership, message = _own_message(user, conversation_id, message_id)
    if conversation.kind != Kind.DIRECT and not membership.is_admin:
        raise forbidden("Only the owner or an admin may pin.")
    return message


def do_set_pinned(user, conversation_id, message_id, pinned):
    message = check_pin(user, conversation_id, message_id)
    store = get_store()
    try:
        with transaction.atomic():
            event = store.set_pinned(message.id, pinned, user.pk)
            payload = {
                "conversation_id": str(conversation_id),
                "message_id": str(message.id),
                "seq": event.seq,
                "pinned": pinned,
            }
            emit("message.pinned", key=conversation_id, actor=user, payload=payload)
            realtime.push_after_commit(event)
    except AlreadyDone:
        return store.get(message.id)
    return event.message


def do_mark_read(user, conversation_id, seq):
    """Move the read marker forward (never back, never past the newest event)."""
    _, membership = _require_member(user, conversation_id)
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
        raise invalid("seq", "seq is a non-negative integer.")
    seq = min(seq, get_store().latest_seq(conversation_id))
    updated = Membership.objects.filter(pk=membership.pk, last_read_seq__lt=seq).update(last_read_seq=seq)
    if updated:
        realtime.push_receipt(conversation_id, user.pk, seq)
    return max(seq, membership.last_read_seq)


def check_report(user, conversation_id, message_id, reason):
    _require_member(user, conversation_id)
    _, _, message = message_in(user, conversation_id, message_id)
    if message.is_deleted:
        raise ApiError("deleted", "This message was deleted.", 409)
    if message.sender_id == user.pk:
        raise invalid("message_id", "You cannot report your own message.")
    if not isinstance(reason, str) or not reason.strip() or len(reason) > 500:
        raise invalid("reason", "Give a reason of 1-500 characters.")
    if MessageReport.objects.filter(message_id=message.id, reporter=user).exists():
        raise ApiError("already_reported", "You already reported this message.", 409)
    return message


def do_report_message(user, conversation_id, message_id, reason):
    message = check_report(user, conversation_id, message_id, reason)
    try:
        with transaction.atomic():
            report = MessageReport.objects.create(
                conversation_id=conversation_id,
                message_id=message.id,
                reporter=user,
                reason=reason.strip(),
                text_snapshot=message.text,
                sender_id=message.sender_id,
            )
            emit(
                "moderation.reported",
                key=conversation_id,
                actor=user,
                payload={
                    "report_id": report.pk,
                    "conversation_id": str(conversation_id),
                    "message_id": str(message.id),
                    "reporter_id": user.pk,
                    "reason": report.reason,
                },
            )
    except IntegrityError:
        raise ApiError("already_reported", "You already reported this message.", 409) from None
    return report
