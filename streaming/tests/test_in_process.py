"""The embedded event bus (no Kafka): handlers run in-process after commit, a failure never reaches
the caller, and the safety net retries it."""

import pytest
from django.db import transaction

from streaming import bus
from streaming.events import emit
from streaming.models import OutboxEvent, ProcessedEvent
from streaming.tasks import publish_stragglers

pytestmark = pytest.mark.django_db

TYPE = "moderation.reported"


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Commit an emit for real: its on-commit delivery runs when the block ends."""

    def emit_committed(**payload):
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            return emit(TYPE, key="c1", payload=payload)

    return emit_committed


def test_handlers_run_after_commit_never_before_and_the_row_is_marked_sent(
    embedded, recorder, django_capture_on_commit_callbacks
):
    recorder.on(TYPE)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        event = emit(TYPE, key="c1", payload={"n": 1})
        assert recorder.seen == []
    assert recorder.seen == [event.envelope()]
    event.refresh_from_db()
    assert event.sent_at is not None


def test_a_rolled_back_change_emits_nothing(embedded, recorder, django_capture_on_commit_callbacks):
    recorder.on(TYPE)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ZeroDivisionError), transaction.atomic():
        emit(TYPE, key="c1", payload={})
        1 / 0  # noqa: B018
    assert recorder.seen == []
    assert not OutboxEvent.objects.exists()


def test_a_failing_handler_leaves_the_caller_alone_and_the_safety_net_delivers_it_later(embedded, recorder, committed):
    embedded.OUTBOX_STRAGGLER_SECONDS = 0
    recorder.on(TYPE, fail=1)

    event = committed(n=1)  # the handler raised; the caller did not see it

    event.refresh_from_db()
    assert (event.sent_at, event.attempts) == (None, 1)
    assert "handler failure" in event.last_error
    assert publish_stragglers.apply().get() == 1
    event.refresh_from_db()
    assert event.sent_at is not None
    assert recorder.ids() == [str(event.id)] * 2
    assert publish_stragglers.apply().get() == 0


def test_a_redelivered_row_does_not_run_its_handlers_twice(embedded, recorder, committed):
    recorder.on(TYPE)
    event = committed(n=1)
    OutboxEvent.objects.filter(pk=event.pk).update(sent_at=None)  # as if the mark had been lost

    assert bus.deliver_locally(OutboxEvent.objects.get(pk=event.pk))

    assert recorder.ids() == [str(event.id)]
    assert ProcessedEvent.objects.filter(group=bus.LOCAL_GROUP, event_id=event.id).count() == 1


def test_an_event_without_handlers_is_marked_sent_without_a_dedupe_record(embedded, committed):
    event = committed(n=1)
    event.refresh_from_db()
    assert event.sent_at is not None
    assert not ProcessedEvent.objects.exists()


def test_after_the_last_allowed_attempt_the_safety_net_stops_and_readyz_shows_it(
    embedded, recorder, committed, client, settings
):
    settings.READYZ_TOKEN = "probe-secret"  # the details are for callers that know it
    embedded.OUTBOX_STRAGGLER_SECONDS = 0
    embedded.OUTBOX_LOCAL_MAX_ATTEMPTS = 2
    recorder.on(TYPE, fail=100)
    event = committed(n=1)

    assert publish_stragglers.apply().get() == 0  # attempt 2, the last
    assert publish_stragglers.apply().get() == 0  # not tried again

    assert OutboxEvent.objects.get(pk=event.pk).attempts == 2
    assert len(recorder.seen) == 2
    response = client.get("/readyz", headers={"X-Readyz-Token": settings.READYZ_TOKEN})
    assert response.status_code == 200  # the outbox informs, it does not take the pod out
    outbox = response.json()["outbox"]
    assert (outbox["unsent"], outbox["given_up"]) == (1, 1)


def test_readyz_reports_how_far_the_outbox_is_behind(embedded, client, settings):
    from datetime import timedelta

    settings.READYZ_TOKEN = "probe-secret"  # the details are for callers that know it

    from django.utils import timezone

    with transaction.atomic():
        emit(TYPE, key="c1", payload={})
    OutboxEvent.objects.update(occurred_at=timezone.now() - timedelta(seconds=120), sent_at=None)

    outbox = client.get("/readyz", headers={"X-Readyz-Token": settings.READYZ_TOKEN}).json()["outbox"]

    assert outbox["unsent"] == 1
    assert outbox["unsent_capped"] is False
    assert 120 <= outbox["oldest_unsent_age_seconds"] < 180


def test_a_consumer_group_can_run_only_the_handlers_of_one_app(recorder):
    recorder.on(TYPE)  # defined in streaming.tests.conftest
    ran = []

    @bus.handles(TYPE)
    def mine(envelope):
        ran.append(envelope["id"])

    try:
        envelope = emit(TYPE, key="c1", payload={}).envelope()
        assert bus.handle_once("only-mine", envelope, modules=[__name__]) == bus.HANDLED
        assert bus.handle_once("nobody", envelope, modules=["notifications"]) == bus.IGNORED
    finally:
        bus.unregister(mine)
    assert ran == [envelope["id"]]
    assert recorder.seen == []
