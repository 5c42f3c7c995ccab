"""Domain events ml learns from. They run in-process after commit by default, and from Kafka with
`consume_events --group ml-feedback --handlers ml`. Each is idempotent: a label is one row per
(model, message), replaced by the latest decision.

Moderation events name a message by id only, so ml keeps sent messages' text for a while
(SentText, from message.created and message.edited). A payload that carries `text` is used as is.

Which model a decision teaches comes from the reasons' words (SPAM_WORDS, ABUSE_WORDS): a report
actioned "spam" is a spam example; a dismissed report is a negative for what the reporter
suspected, or for both models when the reasons say neither. An actioned report whose reasons name
neither teaches nothing: we cannot tell what was wrong with the message.
"""

import logging
import re
import uuid

from ml import actions, scoring
from ml.models import KINDS, Label, SentText
from streaming import bus

log = logging.getLogger(__name__)

SPAM_WORDS = re.compile(r"\b(spam\w*|scam\w*|advert\w*|promo\w*|phish\w*|bots?|unsolicited)\b", re.IGNORECASE)
ABUSE_WORDS = re.compile(
    r"\b(abus\w*|harass\w*|insult\w*|hate\w*|hateful|slurs?|threat\w*|toxic\w*|bully\w*|offensive|rude)\b",
    re.IGNORECASE,
)
# Event types a moderator's review of held or flagged messages will emit (payload: message_id,
# kind, moderator_id, optional text and reason). ml listens to them now; moderation emits them once
# the review queue lands.
HELD_APPROVED = "moderation.held_approved"
HELD_REJECTED = "moderation.held_rejected"
MARKED_NOT_SPAM = "moderation.marked_not_spam"


def kinds_named(*texts) -> list[str]:
    text = " ".join(t for t in texts if t)
    named = []
    if SPAM_WORDS.search(text):
        named.append("spam")
    if ABUSE_WORDS.search(text):
        named.append("abuse")
    return named


def _text_of(payload) -> str | None:
    if payload.get("text"):
        return payload["text"]
    try:
        message_id = uuid.UUID(str(payload["message_id"]))
    except (KeyError, ValueError):
        return None
    return SentText.objects.filter(message_id=message_id).values_list("text", flat=True).first()


@bus.handles("message.created", "message.edited")
def on_message(envelope):
    payload = envelope["payload"]
    if not payload.get("text"):
        return
    SentText.objects.update_or_create(
        message_id=payload["message_id"],
        defaults={
            "conversation_id": payload["conversation_id"],
            "sender_id": int(payload["sender_id"]),
            "text": payload["text"],
            # Off the send path (a consumer, or after commit): what the models said, for moderators.
            "scores": scoring.score(payload["text"]).as_dict(),
        },
    )


@bus.handles("moderation.resolved")
def on_report_resolved(envelope):
    payload = envelope["payload"]
    text = _text_of(payload)
    if text is None:
        log.info("ml: no text kept for message %s; its decision teaches nothing", payload.get("message_id"))
        return
    reasons = (payload.get("reason"), payload.get("report_reason"))
    named = kinds_named(*reasons)
    if payload.get("action") == "actioned":
        label, source = 1, Label.Source.REPORT_ACTIONED
    else:
        label, source, named = 0, Label.Source.REPORT_DISMISSED, named or list(KINDS)
    for kind in named:
        actions.do_record_label(
            kind,
            text,
            label,
            source,
            message_id=payload["message_id"],
            moderator_id=payload.get("moderator_id"),
            reason=" / ".join(r for r in reasons if r),
        )


@bus.handles(HELD_APPROVED, HELD_REJECTED, MARKED_NOT_SPAM)
def on_review(envelope):
    payload = envelope["payload"]
    text = _text_of(payload)
    kind = payload.get("kind", "spam")
    if text is None or kind not in KINDS:
        return
    label = 1 if envelope["type"] == HELD_REJECTED else 0
    source = {
        HELD_APPROVED: Label.Source.HELD_APPROVED,
        HELD_REJECTED: Label.Source.HELD_REJECTED,
        MARKED_NOT_SPAM: Label.Source.NOT_SPAM,
    }[envelope["type"]]
    actions.do_record_label(
        kind,
        text,
        label,
        source,
        message_id=payload["message_id"],
        moderator_id=payload.get("moderator_id"),
        reason=payload.get("reason", ""),
    )
