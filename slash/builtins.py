"""The built-in slash commands. Each one is a client's shortcut to an existing action, which keeps
its own checks: /topic by a member who may not rename is refused exactly as the REST call is."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from accounts.selectors import active_user_named
from chats import actions as chat_actions
from chatsite.api_errors import ApiError
from notifications import actions as notification_actions

MUTE_DEFAULT_HOURS = 8
MUTE_MAX_HOURS = 24 * 365


@dataclass(frozen=True)
class Builtin:
    description: str
    usage: str
    run: Callable  # (user, conversation_id, args, client_id) -> what happened, for people


def _usage(name, usage):
    return ApiError("invalid_command", f"Usage: /{name} {usage}".rstrip(), 400)


def me(user, conversation_id, args, client_id):
    if not args:
        raise _usage("me", BUILTINS["me"].usage)
    chat_actions.do_send_message(user, conversation_id, text=f"* {user.shown_name} {args}", client_id=client_id)
    return "sent"


def topic(user, conversation_id, args, client_id):
    chat_actions.do_update_conversation(user, conversation_id, topic=args)
    return f"topic set to {args}" if args else "topic cleared"


def invite(user, conversation_id, args, client_id):
    name = args.removeprefix("@").strip()
    if not name or " " in name:
        raise _usage("invite", BUILTINS["invite"].usage)
    target = active_user_named(name)
    if target is None:
        raise ApiError("not_found", f"No one is called {name}.", 404)
    chat_actions.do_invite(user, conversation_id, target)
    return f"{target.username} was added"


def leave(user, conversation_id, args, client_id):
    chat_actions.do_leave(user, conversation_id)
    return "you left"


def mute(user, conversation_id, args, client_id):
    hours = args or str(MUTE_DEFAULT_HOURS)
    if not hours.isdigit() or not 1 <= int(hours) <= MUTE_MAX_HOURS:
        raise _usage("mute", BUILTINS["mute"].usage)
    until = timezone.now() + timedelta(hours=int(hours))
    notification_actions.do_update_conversation(user, conversation_id, {"muted_until": until})
    return f"muted for {hours} hours"


BUILTINS = {
    "me": Builtin("Say what you are doing, in the third person", "ACTION", me),
    "topic": Builtin("Set the conversation's topic (empty: clear it)", "[TOPIC]", topic),
    "invite": Builtin("Add someone to this conversation", "@USERNAME", invite),
    "leave": Builtin("Leave this conversation", "", leave),
    "mute": Builtin(f"Mute notifications from here (default {MUTE_DEFAULT_HOURS} hours)", "[HOURS]", mute),
}
