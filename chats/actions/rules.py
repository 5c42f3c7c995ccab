"""The rules that several chat actions share: who may write where. Each raises ApiError."""

from accounts.selectors import either_blocked
from chats.models import Conversation, Membership
from chats.selectors import conversation_for, member_ids, memberships_in
from chatsite.api_errors import ApiError

Role = Membership.Role
Kind = Conversation.Kind


def forbidden(message, code="forbidden"):
    return ApiError(code, message, 403)


def invalid(field, message, code="invalid"):
    return ApiError(code, message, 400, fields={field: [message]})


def lock_conversation(conversation_id):
    """Serialize the membership changes of one conversation: a leave racing a kick, or two invites
    of one user, take turns, and the second sees what the first did. Called first thing inside
    the action's transaction, before its check reads anything."""
    Conversation.objects.select_for_update().filter(pk=conversation_id).values_list("pk").first()


def require_member(user, conversation_id, *, lock=False):
    """(conversation, membership) of a member; 404 for a conversation the user cannot see, 403
    `not_member` for a public channel they have not joined. `lock` holds the membership row
    until the transaction ends, so that the member cannot be removed while it writes."""
    conversation, membership = conversation_for(user, conversation_id, lock=lock)
    if membership is None:
        raise forbidden("Join this conversation first.", "not_member")
    return conversation, membership


def require_open(conversation):
    if conversation.is_archived:
        raise ApiError("archived", "This conversation is archived.", 409)


def require_admin(membership):
    if not membership.is_admin:
        raise forbidden("Only the owner or an admin may do this.")


def writable(user, conversation_id, *, lock=False):
    """A member of an open conversation."""
    conversation, membership = require_member(user, conversation_id, lock=lock)
    require_open(conversation)
    return conversation, membership


def writable_members(conversation_id, user_ids):
    """{user id: what writable() answers} for those of the users it lets write, in one query, their
    membership rows locked until the transaction ends. The others are left for writable() to
    refuse, each in its own words."""
    found = {}
    for user_id, membership in memberships_in(conversation_id, user_ids, lock=True).items():
        try:
            require_open(membership.conversation)
        except ApiError:
            continue
        found[user_id] = (membership.conversation, membership)
    return found


def refuse_blocked_peer(user, conversation):
    """In a direct conversation nothing crosses a block, either way: no message, reaction or pin."""
    if conversation.kind == Kind.DIRECT:
        peer = next(iter(member_ids(conversation.id) - {user.pk}), None)
        if peer and either_blocked(user.pk, peer):
            raise forbidden("You cannot message this person.", "blocked")


def refuse_bot(user):
    """Bots live in the conversations people add them to: they never create, join or open one."""
    if user.is_bot:
        raise forbidden("A bot can't do this; its owner adds it to conversations.", "bot_not_allowed")


def refuse_others_bot(actor, target):
    """A bot is added only by its owner, who answers for what it reads and sends."""
    if target.is_bot and target.bot_owner_id != actor.pk:
        raise forbidden(f"Only the owner of {target.username} may add it.", "not_bot_owner")
