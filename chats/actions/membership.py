"""Who is in a conversation: invites, joins, leaves, kicks and roles.

Every change here locks the conversation's row before its check reads anything, so that two
changes to one conversation's members take turns and the second sees the first (a double leave
writes one member.left; two invites of one user make one membership).
"""

from django.db import IntegrityError, transaction

from accounts.selectors import either_blocked
from chats.actions.changes import record
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
from chats.models import Conversation, Membership
from chats.selectors import conversation_for, membership_of, not_found
from chatsite.api_errors import ApiError
from gateway import fanout


def _member_payload(conversation, user, role=None):
    return {"conversation_id": str(conversation.id), "user_id": user.pk, "role": role, "kind": conversation.kind}


def add_member(conversation, user, role, actor) -> Membership:
    membership = Membership.objects.create(conversation=conversation, user=user, role=role)
    payload = _member_payload(conversation, user, role)
    joined = record(conversation.id, "member.joined", actor, {"user_id": user.pk, "role": role}, payload)
    fanout.membership_changed_after_commit(user.pk, conversation.id, joined=True, seq=joined.seq)
    return membership


def _remove_member(conversation, membership, actor, reason):
    # Deleted by key and counted: under the conversation's lock the count is 1, and a 0 would mean
    # a lost race, which must not log a second member.left.
    if not Membership.objects.filter(pk=membership.pk).delete()[0]:
        raise forbidden("Join this conversation first.", "not_member")
    user = membership.user
    payload = {**_member_payload(conversation, user), "reason": reason}
    record(conversation.id, "member.left", actor, {"user_id": user.pk, "reason": reason}, payload)
    fanout.membership_changed_after_commit(user.pk, conversation.id, joined=False)


def _set_role(conversation, membership, role, actor):
    membership.role = role
    membership.save(update_fields=["role"])
    data = {"user_id": membership.user_id, "role": role}
    record(conversation.id, "member.role_changed", actor, data, _member_payload(conversation, membership.user, role))


def check_invite(actor, conversation_id, target) -> Conversation:
    conversation, membership = require_member(actor, conversation_id)
    require_open(conversation)
    if conversation.kind == Kind.DIRECT:
        raise ApiError("not_allowed", "A direct conversation has exactly two people.", 409)
    require_admin(membership)
    if not target.is_active:
        raise ApiError("not_found", "User not found.", 404)
    if either_blocked(actor.pk, target.pk):
        raise forbidden(f"You cannot add {target.username}.", "blocked")
    refuse_others_bot(actor, target)
    if membership_of(target, conversation_id):
        raise ApiError("already_member", f"{target.username} is already a member.", 409)
    return conversation


def do_invite(actor, conversation_id, target) -> Membership:
    with transaction.atomic():
        lock_conversation(conversation_id)
        conversation = check_invite(actor, conversation_id, target)
        return add_member(conversation, target, Role.MEMBER, actor)


def check_join(user, conversation_id) -> Conversation:
    refuse_bot(user)
    conversation, membership = conversation_for(user, conversation_id)
    if membership:
        raise ApiError("already_member", "You are already a member.", 409)
    if not conversation.is_public:
        raise not_found()
    require_open(conversation)
    return conversation


def do_join(user, conversation_id) -> Membership:
    try:
        with transaction.atomic():
            lock_conversation(conversation_id)
            conversation = check_join(user, conversation_id)
            return add_member(conversation, user, Role.MEMBER, user)
    except IntegrityError:  # a double click on SQLite's deferred path: the first join won
        raise ApiError("already_member", "You are already a member.", 409) from None


def check_leave(user, conversation_id) -> tuple[Conversation, Membership]:
    conversation, membership = require_member(user, conversation_id)
    if conversation.kind == Kind.DIRECT:
        raise ApiError("not_allowed", "A direct conversation cannot be left; block the person instead.", 409)
    return conversation, membership


def do_leave(user, conversation_id) -> None:
    with transaction.atomic():
        lock_conversation(conversation_id)
        conversation, membership = check_leave(user, conversation_id)
        _remove_member(conversation, membership, user, "left")
        if membership.role == Role.OWNER:
            _hand_over_ownership(conversation, user)


def _hand_over_ownership(conversation, previous_owner):
    # The longest-serving admin, else the longest-serving member, becomes owner.
    remaining = Membership.objects.filter(conversation=conversation).select_related("user").order_by("joined_at", "id")
    heir = remaining.filter(role=Role.ADMIN).first() or remaining.first()
    if heir is not None:
        _set_role(conversation, heir, Role.OWNER, previous_owner)


def check_kick(actor, conversation_id, target) -> tuple[Conversation, Membership]:
    conversation, membership = require_member(actor, conversation_id)
    require_admin(membership)
    target_membership = membership_of(target, conversation_id)
    if target_membership is None:
        raise ApiError("not_found", "That user is not a member.", 404)
    if target.pk == actor.pk:
        raise invalid("user_id", "Use leave to remove yourself.")
    if target_membership.role == Role.OWNER or (target_membership.is_admin and membership.role != Role.OWNER):
        raise forbidden("Only the owner may remove an admin, and nobody may remove the owner.")
    return conversation, target_membership


def do_kick(actor, conversation_id, target) -> None:
    with transaction.atomic():
        lock_conversation(conversation_id)
        conversation, target_membership = check_kick(actor, conversation_id, target)
        _remove_member(conversation, target_membership, actor, "kicked")


def check_set_role(actor, conversation_id, target, role: str) -> tuple[Conversation, Membership]:
    conversation, membership = require_member(actor, conversation_id)
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


def do_set_role(actor, conversation_id, target, role: str) -> Membership:
    with transaction.atomic():
        lock_conversation(conversation_id)
        conversation, target_membership = check_set_role(actor, conversation_id, target, role)
        _set_role(conversation, target_membership, role, actor)
    return target_membership
