"""Retention policies: messages older than N days are deleted, per conversation kind or per
conversation (a conversation's own policy wins over its kind's).

A beat job (chats.tasks.apply_retention) runs every policy in batches of RETENTION_BATCH_SIZE.
Each message goes through the same tombstone path as a delete by its sender or a moderator
(chats.actions.messages.tombstone), one short transaction each: the log gets a message.deleted
event with its own seq, live sockets and resuming clients see it, and the event log keeps every
seq. Each run of each policy is recorded (RetentionRun, in the admin): the audit.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from chats.actions.messages import tombstone
from chats.backends import get_store
from chats.backends.types import AlreadyDone
from chats.models import Conversation, RetentionPolicy, RetentionRun

log = logging.getLogger(__name__)


def governed_conversations(policy: RetentionPolicy):
    """The ids of the conversations this policy applies to."""
    if policy.conversation_id:
        return [policy.conversation_id]
    own = RetentionPolicy.objects.filter(conversation__isnull=False).values("conversation_id")
    return list(Conversation.objects.filter(kind=policy.kind).exclude(pk__in=own).values_list("pk", flat=True))


def apply_policy(policy: RetentionPolicy, *, now=None, batch: int | None = None) -> RetentionRun:
    batch = batch or settings.RETENTION_BATCH_SIZE
    cutoff = (now or timezone.now()) - timedelta(days=policy.days)
    run = RetentionRun.objects.create(policy=policy, policy_text=str(policy)[:200], cutoff=cutoff)
    store = get_store()
    for conversation_id in governed_conversations(policy):
        touched = False
        while ids := store.expired(conversation_id, cutoff, batch):
            for message_id in ids:
                touched |= _delete(store, message_id)
            run.deleted += len(ids)
            run.save(update_fields=["deleted"])  # progress stays visible in the admin during a long run
        run.conversations += touched
    run.finished_at = timezone.now()
    run.save(update_fields=["deleted", "conversations", "finished_at"])
    log.info("retention %s: %s messages deleted in %s conversations", run.policy_text, run.deleted, run.conversations)
    return run


def _delete(store, message_id) -> bool:
    with transaction.atomic():
        message = store.get(message_id)
        if message is None or message.is_deleted:
            return False
        try:
            tombstone(None, message)  # no person deleted it: the event's actor is empty
        except AlreadyDone:  # its sender deleted it in between
            return False
    return True


def apply_all(*, now=None) -> list[RetentionRun]:
    return [apply_policy(policy, now=now) for policy in RetentionPolicy.objects.order_by("id")]
