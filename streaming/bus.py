"""Handlers for domain events, and how they are reached.

Apps register a handler per event type (or per family with "family.*"). With Kafka configured,
the relay publishes the outbox and `consume_events` calls the handlers; without it (the embedded
default) the same handlers run in-process right after commit, so `make run` behaves the same.
"""

import logging

from django.conf import settings
from django.utils import timezone

log = logging.getLogger(__name__)

_handlers: dict[str, list] = {}


def handles(*event_types):
    """Decorator: `@handles("message.created", "member.*")` registers a handler(envelope)."""

    def register(func):
        for event_type in event_types:
            _handlers.setdefault(event_type, []).append(func)
        return func

    return register


def handlers_for(event_type):
    family = event_type.split(".", 1)[0]
    return _handlers.get(event_type, []) + _handlers.get(f"{family}.*", [])


def dispatch(envelope):
    """Run every handler for one event. Handlers must be idempotent: delivery is at least once."""
    for handler in handlers_for(envelope["type"]):
        handler(envelope)


def after_commit(event):
    if settings.KAFKA_BOOTSTRAP_SERVERS:
        return  # the relay takes it from the outbox
    try:
        dispatch(event.envelope())
    except Exception:
        # In-process delivery must not break the request that already committed; the event
        # stays in the outbox, unsent, for the safety-net job to retry.
        log.exception("in-process handler failed for %s %s", event.type, event.id)
        return
    type(event).objects.filter(pk=event.pk).update(sent_at=timezone.now())
