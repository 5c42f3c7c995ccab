"""The embedded route for raw events: the outbox -> Parquet under data/raw/events, with a
checkpoint (the last exported event's time and id) so each run carries on where the last stopped.

Only events older than SETTLE_SECONDS are read: a transaction still open when the exporter passes
could otherwise commit an event behind the checkpoint. An event exported twice (a crash between
the write and the checkpoint) is dropped by its id when the engines read the day.
"""

import uuid
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from analytics import raw
from analytics.models import Checkpoint
from chats.selectors import all_conversations
from streaming.selectors import outbox_after

CHECKPOINT = "exporter.outbox"
BATCH = 5000
SETTLE_SECONDS = 60


def conversation_kinds(ids):
    """{conversation id: kind} of the ids that name a conversation: message events carry no kind,
    and the raw rows need it (messages by kind, channels). Shared with the Kafka landing job."""
    ids = {str(i) for i in ids if i and _is_uuid(i)}
    if not ids:
        return {}
    return {str(pk): kind for pk, kind in all_conversations().filter(pk__in=ids).values_list("pk", "kind")}


def _is_uuid(value):
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False  # a malformed id from the stream names no conversation
    return True


def _kinds(envelopes):
    return conversation_kinds(e["payload"].get("conversation_id") for e in envelopes if not e["payload"].get("kind"))


def export(now=None, settle_seconds=SETTLE_SECONDS, data=None):
    """Export every settled outbox event not yet exported; returns how many were written."""
    until = (now or timezone.now()) - timedelta(seconds=settle_seconds)
    total = 0
    while True:
        checkpoint, _ = Checkpoint.objects.get_or_create(name=CHECKPOINT)
        position = checkpoint.position
        after = datetime.fromisoformat(position["occurred_at"]) if position.get("occurred_at") else None
        batch = outbox_after(after, position.get("id"), until=until, limit=BATCH)
        if not batch:
            return total
        envelopes = [event.envelope() for event in batch]
        kinds = _kinds(envelopes)
        rows = [raw.flatten(e, kinds.get(e["payload"].get("conversation_id"))) for e in envelopes]
        raw.write_rows(rows, data)
        last = batch[-1]
        with transaction.atomic():
            Checkpoint.objects.filter(pk=checkpoint.pk).update(
                position={"occurred_at": last.occurred_at.isoformat(), "id": str(last.id)}, updated_at=timezone.now()
            )
        total += len(batch)
