"""Who may manage a conversation's webhooks: an owner or admin of it, with their own bot in it."""

from accounts import bots
from chats import selectors as chat_selectors
from chatsite.api_errors import ApiError


def require_conversation_admin(actor, conversation_id):
    """The conversation, if `actor` is its owner or an admin; 404 if they can't see it."""
    conversation, membership = chat_selectors.conversation_for(actor, conversation_id)
    if membership is None or not membership.is_admin:
        raise ApiError("forbidden", "Only the owner or an admin of the conversation may manage its webhooks.", 403)
    return conversation


def require_own_bot_inside(actor, conversation_id, bot_id):
    """(conversation, bot): the actor administers the conversation, owns the bot, and the bot is in it."""
    conversation = require_conversation_admin(actor, conversation_id)
    bot = bots.owned_bot(actor, bot_id)
    if not chat_selectors.is_member(bot.pk, conversation.id):
        raise ApiError("bot_not_member", f"Add {bot.username} to the conversation first.", 409)
    return conversation, bot
