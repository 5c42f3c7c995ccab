"""Handlers for domain events, and how they are reached.

Apps register a handler per event type (or per family with "family.*"), in a `handlers.py` module
(imported for every installed app when the streaming app is ready) or from their AppConfig.ready.
With Kafka configured, the relay publishes the outbox and `consume_events` calls the handlers;
without it (the embedded default) the same handlers run in-process right after commit, so
`make run` behaves the same.

Delivery is at least once. Each consumer group (and the in-process path, as the group
"in-process") records the events it handled in ProcessedEvent, in the same transaction as the
handlers' database effects, so a redelivered event is skipped. Effects outside the database
(Neo4j, push) must still be idempotent: a crash between them and the commit repeats them.
"""

import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from streaming.models import OutboxEvent, ProcessedEvent

log = logging.getLogger(__name__)

LOCAL_GROUP = "in-process"

HANDLED, DUPLICATE, IGNORED = "handled", "duplicate", "ignored"

_handlers: dict[str, list] = {}


class TransientError(Exception):
    """Raised by a handler when something it needs is briefly away (a store, a service): the
    consumer retries the event for as long as it takes, instead of counting it as a poison event."""


def is_transient(exc):
    from django.db import InterfaceError, OperationalError

    return isinstance(exc, TransientError | OperationalError | InterfaceError)


def handles(*event_types):
    """Decorator: `@handles("message.created", "member.*")` registers a handler(envelope)."""

    def register(func):
        for event_type in event_types:
            _handlers.setdefault(event_type, []).append(func)
        return func

    return register


def unregister(func):
    """Remove a handler everywhere it was registered (tests, and plug-ins switched off)."""
    for funcs in _handlers.values():
        while func in funcs:
            funcs.remove(func)


def handlers_for(event_type, modules=None):
    """The handlers of one type; with `modules`, only those defined under these module prefixes
    (a consumer group per concern: `consume_events --group graph-sync --handlers graph`)."""
    family = event_type.split(".", 1)[0]
    found = _handlers.get(event_type, []) + _handlers.get(f"{family}.*", [])
    if modules:
        found = [h for h in found if _within([h], modules)]
    return found


def handled_types(modules=None):
    """The event types (and "family.*" patterns) that have a handler; with `modules`, a handler
    defined under these module prefixes. What a consumer group running them must subscribe to."""
    return sorted(event_type for event_type, funcs in _handlers.items() if _within(funcs, modules))


def _within(funcs, modules):
    if not modules:
        return bool(funcs)
    return any(h.__module__ == m or h.__module__.startswith(m + ".") for h in funcs for m in modules)


def dispatch(envelope, modules=None):
    """Run every handler for one event. Handlers must be idempotent: delivery is at least once."""
    for handler in handlers_for(envelope["type"], modules):
        handler(envelope)


def handle_once(group, envelope, modules=None):
    """Run the handlers unless `group` already did; HANDLED, DUPLICATE or IGNORED (no handler).

    The ProcessedEvent row and the handlers' writes commit together or not at all; a handler's
    exception propagates after rolling both back.
    """
    if not handlers_for(envelope["type"], modules):
        return IGNORED
    try:
        with transaction.atomic():
            # First statement of the transaction, so a conflict can abort it whole: no savepoint
            # (two round trips per event) is needed to tell a duplicate from a handler's error.
            try:
                ProcessedEvent.objects.create(group=group, event_id=envelope["id"])
            except IntegrityError:
                raise _AlreadyHandled from None
            dispatch(envelope, modules)
    except _AlreadyHandled:
        return DUPLICATE
    return HANDLED


class _AlreadyHandled(Exception):
    pass


def deliver_locally(event):
    """Handle one outbox row in this process and mark it sent. False when a handler failed: the
    row stays unsent, with the error, for the safety net to retry."""
    try:
        with transaction.atomic():
            handle_once(LOCAL_GROUP, event.envelope())
            OutboxEvent.objects.filter(pk=event.pk).update(sent_at=timezone.now())
    except Exception as exc:
        attempts = event.attempts + 1
        level = logging.ERROR if attempts >= settings.OUTBOX_LOCAL_MAX_ATTEMPTS else logging.WARNING
        log.log(
            level, "in-process handler failed for %s %s (attempt %s)", event.type, event.id, attempts, exc_info=True
        )
        OutboxEvent.objects.filter(pk=event.pk).update(
            attempts=F("attempts") + 1, last_error=f"{type(exc).__name__}: {exc}"[:2000]
        )
        return False
    return True


def after_commit(event):
    if settings.KAFKA_BOOTSTRAP_SERVERS:
        return  # the relay takes it from the outbox
    # In-process delivery must not break the request that already committed: a failure is logged
    # and recorded on the row, and even a failure to record it stays here.
    try:
        deliver_locally(event)
    except Exception:
        log.exception("could not record the in-process delivery of %s %s", event.type, event.id)
