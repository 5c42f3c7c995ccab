"""From one message event to the notifications it causes: per recipient and destination, one row
whose key is unique, so that the event handled twice (a redelivery, a relay replay) plans nothing
new. Delivery is scheduled after commit; e-mails gather in the person's open digest."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts import selectors as account_selectors
from chats import selectors as chat_selectors
from notifications import rules
from notifications.models import (
    Channel,
    ConversationPreference,
    ConversationRule,
    Digest,
    Notification,
    Preferences,
    PushDevice,
)

BODY_MAX = 500


def sender_name(user):
    return (user.display_name or user.username) if user else "Someone"


def title_for(conversation, sender):
    name = sender_name(sender)
    if conversation.kind == "direct" or not conversation.title:
        return name
    return f"{name} in {conversation.title}"


def decide(membership, conversation, payload, mine, conversation_pref, mention_all_notifies, now):
    """(reason, channels) of one member for a message, or None: the rules every notification of a
    message passes, for the planner and for the alert an open tab shows itself (alert_for)."""
    user = membership.user
    if not user.is_active or membership.last_read_seq >= payload["seq"]:
        return None
    reason = rules.reason_for(
        user.pk,
        is_direct=conversation.kind in ("direct", "group"),
        payload=payload,
        keywords=mine.keywords,
        mention_all_notifies=mention_all_notifies,
    )
    if not rules.wanted(reason, mine, conversation_pref) or rules.muted(mine, conversation_pref, now):
        return None
    channels = rules.channels_for(reason, mine, quiet=rules.in_quiet_hours(mine, now))
    return (reason, channels) if channels else None


def alert_for(user, conversation_id, message_id):
    """What an open tab of `user` shows by itself for a message its socket just brought, or None
    (not for them, or push is not among their channels for it). The same rules as a push, so that
    notifications also work where no push service can be reached (the embedded default, a browser
    cut off from its vendor's push service); the tab uses the push's tag, so the two never show twice."""
    conversation, membership, message = chat_selectors.message_in(user, conversation_id, message_id)
    if conversation.archived_at is not None or message.sender_id == user.pk or message.is_deleted:
        return None
    payload = {
        "seq": message.seq,
        "text": message.text,
        "mentions": message.mentions,
        "mention_all": message.mention_all,
    }
    mine = Preferences.objects.filter(user=user).first() or Preferences(user=user)
    conversation_pref = ConversationPreference.objects.filter(conversation_id=conversation.pk, user=user).first()
    rule = ConversationRule.objects.filter(conversation_id=conversation.pk).first()
    decided = decide(
        membership,
        conversation,
        payload,
        mine,
        conversation_pref,
        rule.mention_all_notifies if rule else True,
        timezone.now(),
    )
    if not decided or Channel.PUSH not in decided[1]:
        return None
    sender = account_selectors.get_user(message.sender_id, include_inactive=True)
    body = message.text[:BODY_MAX] if mine.push_shows_text else f"New message from {sender_name(sender)}"
    return {"title": title_for(conversation, sender), "body": body}


def plan(envelope):
    """Plan the notifications of a message.created event -> the new rows' ids to push."""
    payload = envelope["payload"]
    conversation = chat_selectors.conversation_by_id(payload["conversation_id"])
    if conversation is None or conversation.archived_at is not None:
        return []
    sender_id = int(payload["sender_id"])
    now = timezone.now()
    occurred = parse_datetime(envelope.get("occurred_at") or "") or now
    memberships = [m for m in chat_selectors.members(conversation.pk) if m.user_id != sender_id]
    if not memberships:
        return []
    user_ids = [m.user_id for m in memberships]
    prefs = {p.user_id: p for p in Preferences.objects.filter(user_id__in=user_ids)}
    conversation_prefs = {
        p.user_id: p
        for p in ConversationPreference.objects.filter(conversation_id=conversation.pk, user_id__in=user_ids)
    }
    rule = ConversationRule.objects.filter(conversation_id=conversation.pk).first()
    mention_all_notifies = rule.mention_all_notifies if rule else True
    blockers = account_selectors.blocker_ids(sender_id)
    sender = account_selectors.get_user(sender_id, include_inactive=True)
    title = title_for(conversation, sender)
    text = (payload.get("text") or "")[:BODY_MAX]

    planned = []  # (membership, reason, channels, prefs)
    for membership in memberships:
        if membership.user_id in blockers:
            continue
        mine = prefs.get(membership.user_id) or Preferences(user=membership.user)
        decided = decide(
            membership,
            conversation,
            payload,
            mine,
            conversation_prefs.get(membership.user_id),
            mention_all_notifies,
            now,
        )
        if decided:
            planned.append((membership.user, *decided, mine))
    if not planned:
        return []

    devices = {}
    push_users = [user.pk for user, _, channels, _ in planned if Channel.PUSH in channels]
    for device in PushDevice.objects.filter(user_id__in=push_users, kind__in=delivered_kinds()):
        devices.setdefault(device.user_id, []).append(device)

    common = {
        "conversation_id": conversation.pk,
        "message_id": payload["message_id"],
        "seq": payload["seq"],
        "sender_id": sender_id,
        "title": title,
        "occurred_at": occurred,
    }
    rows, digests = [], []
    for user, reason, channels, mine in planned:
        body = text if mine.push_shows_text else f"New message from {sender_name(sender)}"
        for device in devices.get(user.pk, []) if Channel.PUSH in channels else []:
            rows.append(
                Notification(
                    key=f"{payload['message_id']}:push:{device.pk}",
                    user=user,
                    channel=Channel.PUSH,
                    device=device,
                    reason=reason,
                    body=body,
                    due_at=now + timedelta(seconds=settings.NOTIFY_PUSH_GRACE),
                    **common,
                )
            )
        if Channel.EMAIL in channels and user.email:
            rows.append(
                Notification(
                    key=f"{payload['message_id']}:email:{user.pk}",
                    user=user,
                    channel=Channel.EMAIL,
                    reason=reason,
                    body=text,
                    due_at=now + timedelta(seconds=settings.NOTIFY_EMAIL_GRACE),
                    **common,
                )
            )
            digests.append(user.pk)
        if Channel.SMS in channels and mine.phone and "sms" in delivered_kinds():
            rows.append(
                Notification(
                    key=f"{payload['message_id']}:sms:{user.pk}",
                    user=user,
                    channel=Channel.SMS,
                    reason=reason,
                    body=body,
                    due_at=now + timedelta(seconds=settings.NOTIFY_SMS_GRACE),
                    **common,
                )
            )
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    open_digests(digests, now + timedelta(seconds=settings.NOTIFY_EMAIL_GRACE))
    push_ids = list(
        Notification.objects.filter(
            key__in=[r.key for r in rows if r.channel != Channel.EMAIL], status=Notification.Status.PENDING
        ).values_list("pk", "channel")
    )
    if push_ids:
        transaction.on_commit(lambda: schedule(push_ids), robust=True)  # a broker hiccup must not fail the handler
    return [pk for pk, _ in push_ids]


def delivered_kinds():
    """Destination kinds that have an adapter (NOTIFY_ADAPTERS); the others are not planned."""
    return [kind for kind, path in settings.NOTIFY_ADAPTERS.items() if path]


def open_digests(user_ids, due_at):
    """Each person's open digest, made if missing: a later message joins it, keeping its time."""
    if not user_ids:
        return
    have = set(Digest.objects.filter(user_id__in=user_ids, sent_at__isnull=True).values_list("user_id", flat=True))
    Digest.objects.bulk_create(
        [Digest(user_id=uid, due_at=due_at) for uid in set(user_ids) - have], ignore_conflicts=True
    )


def schedule(ids_and_channels):
    from notifications import tasks

    for pk, channel in ids_and_channels:
        countdown = settings.NOTIFY_SMS_GRACE if channel == Channel.SMS else settings.NOTIFY_PUSH_GRACE
        if countdown > 0:
            tasks.deliver.apply_async((pk,), countdown=countdown)
        else:
            tasks.deliver.delay(pk)
