"""What the composer offers after "/": the built-ins, and the commands of the bots in the conversation."""

from chats import selectors as chat_selectors
from slash.builtins import BUILTINS
from slash.models import BotCommand


def commands_for(user, conversation_id) -> list[dict]:
    _, membership = chat_selectors.conversation_for(user, conversation_id)
    if membership is None:
        raise chat_selectors.not_found()
    found = [
        {"name": name, "description": b.description, "usage": b.usage, "bot": None} for name, b in BUILTINS.items()
    ]
    members = chat_selectors.member_ids(conversation_id)
    for command in BotCommand.objects.filter(bot_id__in=members).select_related("bot").order_by("name", "bot_id"):
        found.append(
            {"name": command.name, "description": command.description, "usage": "", "bot": command.bot.username}
        )
    return found


def commands_of_bot(owner, bot_id) -> list[BotCommand]:
    from accounts import bots

    return list(BotCommand.objects.filter(bot=bots.owned_bot(owner, bot_id)).order_by("name"))
