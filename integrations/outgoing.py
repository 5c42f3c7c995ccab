"""Outgoing webhooks: a bot hears its conversation at its own URL.

On `message.created` (integrations.handlers) each matching webhook gets a Delivery row, and a
Celery task (integrations.tasks) POSTs the event, signed (integrations.signing), through the SSRF
guard (chatsite.outbound). A 2xx answer may carry `{"text": "..."}`, which becomes the bot's
reply in the conversation. Failures are retried with exponential backoff up to
OUTGOING_WEBHOOK_MAX_ATTEMPTS; the Delivery rows are the log, in the admin.

Messages sent by bots trigger nothing, so two bots can't talk to each other forever.
"""

import json
import logging
import secrets
import uuid

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts import selectors as account_selectors
from chats import actions as chat_actions
from chats import selectors as chat_selectors
from chatsite import outbound
from chatsite.api_errors import ApiError
from integrations import signing
from integrations.models import Delivery, OutgoingWebhook
from integrations.rules import require_conversation_admin, require_own_bot_inside

log = logging.getLogger(__name__)

DELIVERED, RETRY, FAILED = "delivered", "retry", "failed"
# Answers worth trying again: the receiver is down, overloaded or asks us to slow down.
_RETRY_STATUSES = {408, 425, 429, 500, 502, 503, 504}


# --- managing ---


def check_create(actor, conversation_id, bot_id, url: str, trigger: str):
    conversation, bot = require_own_bot_inside(actor, conversation_id, bot_id)
    if trigger not in OutgoingWebhook.Trigger.values:
        raise ApiError("invalid", "trigger is all or mention.", fields={"trigger": ["all or mention"]})
    try:
        outbound.check_url(url)
    except outbound.UnsafeURL as error:
        raise ApiError("invalid", str(error), fields={"url": [str(error)]}) from None
    return conversation, bot


def do_create(actor, conversation_id, bot_id, url: str, trigger: str) -> OutgoingWebhook:
    """The webhook, with its signing secret (the API shows it once)."""
    with transaction.atomic():
        conversation, bot = check_create(actor, conversation_id, bot_id, url, trigger)
        return OutgoingWebhook.objects.create(
            conversation=conversation,
            bot=bot,
            url=url,
            trigger=trigger,
            secret=secrets.token_hex(32),
            created_by=actor,
        )


def hooks_of(actor, conversation_id) -> list[OutgoingWebhook]:
    conversation = require_conversation_admin(actor, conversation_id)
    return list(OutgoingWebhook.objects.filter(conversation=conversation).select_related("bot").order_by("id"))


def do_delete(actor, conversation_id, hook_id) -> None:
    with transaction.atomic():
        conversation = require_conversation_admin(actor, conversation_id)
        deleted, _ = OutgoingWebhook.objects.filter(conversation=conversation, pk=hook_id).delete()
        if not deleted:
            raise ApiError("not_found", "No such webhook.", 404)


# --- queueing, from the event ---


def _wants(hook: OutgoingWebhook, payload: dict) -> bool:
    if hook.trigger == OutgoingWebhook.Trigger.ALL:
        return True
    return hook.bot_id in payload.get("mentions", [])


def event_body(hook: OutgoingWebhook, payload: dict) -> dict:
    return {
        "event": "message.created",
        "webhook_id": hook.pk,
        "bot": {"id": hook.bot_id, "username": hook.bot.username},
        "conversation_id": str(payload["conversation_id"]),
        "message": {
            "id": str(payload["message_id"]),
            "seq": payload["seq"],
            "sender_id": payload["sender_id"],
            "text": payload["text"],
            "parent_id": payload.get("parent_id"),
            "mentions": payload.get("mentions", []),
        },
    }


def queue_deliveries(payload: dict) -> list[int]:
    """Deliveries for one new message (idempotent: an event seen twice queues nothing new).
    The tasks start after commit."""
    if account_selectors.is_bot(payload["sender_id"]):
        return []
    hooks = OutgoingWebhook.objects.filter(conversation_id=payload["conversation_id"]).select_related("bot")
    queued = []
    for hook in hooks:
        # A bot removed from the conversation hears nothing more of it.
        if (
            not _wants(hook, payload)
            or not hook.bot.is_active
            or not chat_selectors.is_member(hook.bot_id, hook.conversation_id)
        ):
            continue
        delivery, created = Delivery.objects.get_or_create(
            webhook=hook, message_id=payload["message_id"], defaults={"payload": event_body(hook, payload)}
        )
        if created:
            queued.append(delivery.pk)
    if queued:
        from integrations.tasks import deliver_webhook

        transaction.on_commit(lambda: [deliver_webhook.delay(pk) for pk in queued])
    return queued


def check_command_hook(bot_id, conversation_id) -> OutgoingWebhook:
    """The webhook where a bot hears its slash commands in a conversation (its first one there)."""
    hook = (
        OutgoingWebhook.objects.filter(bot_id=bot_id, conversation_id=conversation_id)
        .select_related("bot")
        .order_by("pk")
        .first()
    )
    if hook is None or not hook.bot.is_active:
        raise ApiError("bot_unreachable", "This bot has no outgoing webhook in this conversation.", 409)
    return hook


def queue_command(user, bot_id, conversation_id, name: str, args: str) -> Delivery:
    """A signed `command` event to the bot's webhook, delivered (and retried, and logged) like a
    message event; a 2xx answer with text becomes the bot's reply. The task starts after commit."""
    hook = check_command_hook(bot_id, conversation_id)
    invocation = uuid.uuid4()  # stands in for the message id: one delivery per invocation
    body = {
        "event": "command",
        "webhook_id": hook.pk,
        "bot": {"id": hook.bot_id, "username": hook.bot.username},
        "conversation_id": str(conversation_id),
        "command": {"id": str(invocation), "name": name, "args": args},
        "user": {"id": user.pk, "username": user.username},
    }
    delivery = Delivery.objects.create(webhook=hook, message_id=invocation, payload=body)
    from integrations.tasks import deliver_webhook

    transaction.on_commit(lambda: deliver_webhook.delay(delivery.pk))
    return delivery


# --- one attempt ---


def backoff(attempts: int) -> float:
    return settings.OUTGOING_WEBHOOK_RETRY_BACKOFF * 2 ** max(0, attempts - 1)


def attempt(delivery_id: int) -> str:
    """POST the delivery once; DELIVERED, RETRY (the task schedules it) or FAILED."""
    delivery = Delivery.objects.select_related("webhook__bot").filter(pk=delivery_id).first()
    if delivery is None or delivery.status != Delivery.Status.PENDING:
        return DELIVERED if delivery else FAILED
    hook = delivery.webhook
    body = json.dumps(delivery.payload, separators=(",", ":")).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "chatsite-webhooks",
        **signing.headers(hook.secret, body),
    }
    delivery.attempts += 1
    try:
        status, answer, content_type = outbound.post(
            hook.url,
            content=body,
            headers=headers,
            timeout=settings.OUTGOING_WEBHOOK_TIMEOUT_SECONDS,
            max_bytes=settings.OUTGOING_WEBHOOK_MAX_RESPONSE_BYTES,
        )
    except outbound.UnsafeURL as error:
        return _finish(delivery, FAILED, error=str(error))
    except Exception as error:  # any network failure: refused, reset, timeout, TLS
        return _finish(delivery, _retry_or_fail(delivery), error=f"{type(error).__name__}: {error}")
    if 200 <= status < 300:
        delivery.reply_message_id, reply_error = _reply(delivery, answer, content_type)
        return _finish(delivery, DELIVERED, status=status, error=reply_error)
    outcome = _retry_or_fail(delivery) if status in _RETRY_STATUSES else FAILED
    return _finish(delivery, outcome, status=status, error=f"HTTP {status}")


def _retry_or_fail(delivery) -> str:
    return RETRY if delivery.attempts < settings.OUTGOING_WEBHOOK_MAX_ATTEMPTS else FAILED


def _reply(delivery, answer: bytes, content_type: str):
    """(reply message id, error) for an answer like {"text": "..."}; no text is no reply."""
    if not answer.strip() or "json" not in content_type:
        return None, ""
    try:
        text = json.loads(answer).get("text")
    except (ValueError, AttributeError):
        return None, "The answer was not a JSON object."
    if not isinstance(text, str) or not text.strip():
        return None, ""
    hook = delivery.webhook
    try:
        # One reply per delivery, whatever the retries: the send action dedupes on client_id.
        message, _ = chat_actions.do_send_message(
            hook.bot, hook.conversation_id, text=text, client_id=f"hook-reply-{delivery.pk}"
        )
    except ApiError as error:
        return None, f"reply refused: {error.code}: {error.message}"[:300]
    return message.id, ""


def _finish(delivery, outcome: str, *, status=None, error: str = "") -> str:
    delivery.last_status_code = status
    delivery.last_error = error[:300]
    if outcome != RETRY:
        delivery.status = Delivery.Status.DELIVERED if outcome == DELIVERED else Delivery.Status.FAILED
        delivery.finished_at = timezone.now()
    delivery.save()
    if outcome == FAILED:
        log.warning("outgoing webhook %s: delivery %s failed: %s", delivery.webhook_id, delivery.pk, error)
    return outcome
