"""Incoming webhooks: a secret URL per conversation that posts a message as its bot.

The message goes through chats' send action like any other (membership, rate limit, size, ML
score, seq, events); this module adds only the webhook's own rules: who may make one, the body's
size and shape, and a rate limit per webhook.
"""

import hashlib
import json
import secrets
import uuid

from django.conf import settings
from django.db import transaction
from rest_framework import status

from chats import actions as chat_actions
from chatsite import ratelimit
from chatsite.api_errors import ApiError
from integrations.models import IncomingWebhook
from integrations.rules import require_conversation_admin, require_own_bot_inside


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def check_create(actor, conversation_id, bot_id, name: str):
    conversation, bot = require_own_bot_inside(actor, conversation_id, bot_id)
    if not name.strip():
        raise ApiError("invalid", "A webhook needs a name.", fields={"name": ["Required."]})
    return conversation, bot


def do_create(actor, conversation_id, bot_id, name: str) -> tuple[IncomingWebhook, str]:
    """(webhook, secret): the secret goes in the URL and is shown this once."""
    with transaction.atomic():
        conversation, bot = check_create(actor, conversation_id, bot_id, name)
        secret = secrets.token_urlsafe(32)
        hook = IncomingWebhook.objects.create(
            conversation=conversation, bot=bot, name=name.strip(), secret_hash=_hash(secret), created_by=actor
        )
    return hook, secret


def hooks_of(actor, conversation_id) -> list[IncomingWebhook]:
    conversation = require_conversation_admin(actor, conversation_id)
    return list(IncomingWebhook.objects.filter(conversation=conversation).select_related("bot").order_by("id"))


def do_delete(actor, conversation_id, hook_id) -> None:
    with transaction.atomic():
        conversation = require_conversation_admin(actor, conversation_id)
        deleted, _ = IncomingWebhook.objects.filter(conversation=conversation, pk=hook_id).delete()
        if not deleted:
            raise ApiError("not_found", "No such webhook.", 404)


# --- receiving ---


def _not_found():
    # One answer for a wrong secret and a deleted webhook: a guesser learns nothing.
    return ApiError("not_found", "No such webhook.", status.HTTP_404_NOT_FOUND)


def hook_for_secret(secret: str) -> IncomingWebhook:
    if not isinstance(secret, str) or not 16 <= len(secret) <= 128:
        raise _not_found()
    hook = IncomingWebhook.objects.select_related("bot").filter(secret_hash=_hash(secret)).first()
    if hook is None or not hook.bot.is_active:
        raise _not_found()
    return hook


def parse_body(raw: bytes) -> tuple[str, str | None]:
    """(text, client_id) of a webhook's JSON body: {"text": "...", "client_id": "..."}."""
    if len(raw) > settings.INCOMING_WEBHOOK_MAX_BYTES:
        raise ApiError("too_large", f"The body is over {settings.INCOMING_WEBHOOK_MAX_BYTES} bytes.", 413)
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ApiError("invalid_json", 'The body must be JSON: {"text": "..."}.') from None
    if not isinstance(body, dict):
        raise ApiError("invalid_json", 'The body must be a JSON object: {"text": "..."}.')
    unknown = sorted(set(body) - {"text", "client_id"})
    if unknown:
        raise ApiError(
            "unknown_fields", f"Unknown fields: {', '.join(unknown)}.", fields={k: ["Unknown field."] for k in unknown}
        )
    text, client_id = body.get("text"), body.get("client_id")
    if not isinstance(text, str):
        raise ApiError("invalid", "text must be a string.", fields={"text": ["Must be a string."]})
    if client_id is not None and not isinstance(client_id, str):
        raise ApiError("invalid", "client_id must be a string.", fields={"client_id": ["Must be a string."]})
    return text, client_id


def check_rate(hook: IncomingWebhook) -> None:
    retry_after = ratelimit.hit(f"incoming-hook:{hook.pk}", settings.INCOMING_WEBHOOK_RATE_LIMIT)
    if retry_after:
        raise ApiError(
            "rate_limited",
            f"Too many posts to this webhook; try again in {retry_after} s.",
            429,
            headers={"Retry-After": str(retry_after)},
        )


def do_receive(secret: str, raw: bytes):
    """Post the body's text into the webhook's conversation as its bot; (message, created)."""
    hook = hook_for_secret(secret)
    text, client_id = parse_body(raw)
    check_rate(hook)
    # A sender without a client_id gets a fresh one: each post is a new message. One with it gets
    # the send action's retry rule: the same id never makes a second message.
    client_id = client_id or f"hook-{uuid.uuid4().hex}"
    return chat_actions.do_send_message(hook.bot, hook.conversation_id, text=text, client_id=client_id)
