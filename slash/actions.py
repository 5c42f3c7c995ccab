"""Running a slash command, and bots' owners registering theirs. The server decides: the client
only offers what the list endpoint (slash.selectors) returns."""

import re
import uuid

from django.db import IntegrityError, transaction

from accounts import bots
from chats import selectors as chat_selectors
from chatsite.api_errors import ApiError
from integrations import outgoing
from slash.builtins import BUILTINS
from slash.models import NAME_PATTERN, BotCommand

COMMAND = re.compile(r"\A/([a-z0-9_-]{1,32})(?:\s+(.*))?\Z", re.DOTALL)


def parse(text: str) -> tuple[str, str]:
    found = COMMAND.match(text.strip())
    if not found:
        raise ApiError("invalid_command", "A command is / and a name, then its arguments: /topic Plans", 400)
    return found[1], (found[2] or "").strip()


def check_run(user, conversation_id, text: str):
    """(name, args, builtin or the bot command to call)."""
    name, args = parse(text)
    _, membership = chat_selectors.conversation_for(user, conversation_id)
    if membership is None:
        raise chat_selectors.not_found()
    if name in BUILTINS:
        return name, args, BUILTINS[name]
    members = chat_selectors.member_ids(conversation_id)
    found = [c for c in BotCommand.objects.filter(name=name).select_related("bot") if c.bot_id in members]
    if not found:
        raise ApiError("unknown_command", f"There is no /{name} here.", 404)
    if len(found) > 1:
        raise ApiError("ambiguous_command", f"Several bots here answer /{name}.", 409)
    return name, args, found[0]


def do_run(user, conversation_id, text: str, client_id: str | None = None) -> str:
    """Run the command; returns what happened, for the person who typed it."""
    with transaction.atomic():
        name, args, command = check_run(user, conversation_id, text)
        if isinstance(command, BotCommand):
            outgoing.queue_command(user, command.bot_id, conversation_id, name, args)
            return f"sent to {command.bot.username}"
    # Built-ins run their action, which takes its own locks in its own transaction.
    return command.run(user, conversation_id, args, client_id or f"slash-{uuid.uuid4().hex}")


def check_register(owner, bot_id, name: str, description: str):
    bot = bots.owned_bot(owner, bot_id)
    if not re.match(NAME_PATTERN, name or ""):
        raise ApiError("invalid", "A name is 1 to 32 of a-z 0-9 _ -.", fields={"name": ["1 to 32 of a-z 0-9 _ -"]})
    if name in BUILTINS:
        raise ApiError("invalid", f"/{name} is a built-in command.", fields={"name": ["taken by a built-in"]})
    if not (description or "").strip() or len(description) > 100:
        raise ApiError(
            "invalid", "Describe it in 1 to 100 characters.", fields={"description": ["1 to 100 characters"]}
        )
    return bot


def do_register(owner, bot_id, name: str, description: str) -> BotCommand:
    bot = check_register(owner, bot_id, name, description)
    try:
        with transaction.atomic():
            return BotCommand.objects.create(bot=bot, name=name, description=description.strip())
    except IntegrityError:
        raise ApiError("already_exists", f"{bot.username} already has /{name}.", 409) from None


def do_unregister(owner, bot_id, name: str) -> None:
    bot = bots.owned_bot(owner, bot_id)
    if not BotCommand.objects.filter(bot=bot, name=name).delete()[0]:
        raise ApiError("not_found", "Command not found.", 404)
