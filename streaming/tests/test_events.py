"""The event catalogue: one documented module, and every call site uses a declared type."""

import re
from pathlib import Path

import pytest

from streaming import events
from streaming.events import EVENT_TYPES, TOPICS, emit, family

ROOT = Path(__file__).resolve().parents[2]
APPS = ["accounts", "chats", "graph", "streaming", "analytics", "ml", "notifications"]


def test_every_declared_type_is_documented_and_has_a_topic():
    for event_type in EVENT_TYPES:
        assert event_type in events.__doc__, f"{event_type} is not documented in streaming/events.py"
        assert family(event_type) in TOPICS, f"{event_type} has no topic"


def test_every_emit_in_the_code_names_a_declared_type():
    emitted = set()
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "tests" in path.parts:
                continue
            emitted |= set(re.findall(r"\bemit\(\s*\"([a-z_]+\.[a-z_]+)\"", path.read_text()))
    assert emitted, "no emit call found: has the search pattern gone stale?"
    assert emitted <= set(EVENT_TYPES), emitted - set(EVENT_TYPES)


@pytest.mark.django_db
def test_an_undeclared_type_is_refused():
    with pytest.raises(ValueError, match="declare it"):
        emit("message.exploded", key="k", payload={})


@pytest.mark.django_db
def test_the_envelope_carries_id_type_version_time_actor_key_and_payload(make_user):
    user = make_user()
    event = emit("user.updated", key=user.pk, payload={"user_id": user.pk, "changed": {}}, actor=user)
    envelope = event.envelope()
    assert set(envelope) == {"id", "type", "version", "occurred_at", "actor", "key", "payload"}
    assert (envelope["type"], envelope["version"], envelope["actor"], envelope["key"]) == (
        "user.updated",
        1,
        user.pk,
        str(user.pk),
    )


@pytest.mark.django_db
def test_events_emitted_back_to_back_keep_their_order():
    emitted = [emit("moderation.reported", key="k", payload={"n": i}) for i in range(50)]
    stamps = [e.occurred_at for e in emitted]
    assert stamps == sorted(stamps)
    assert len(set(stamps)) == 50


# Payloads that quoting can break: quotes, backslashes, braces, NUL-free control characters,
# text outside ASCII, nesting, and SQL.
AWKWARD = [
    {"text": 'she said "hi" \\ then {left}', "tab": "a\tb\nc", "emoji": "\N{PILE OF POO} é 中"},
    {"nested": {"list": [1, "two", None, True, {"x": "'; DROP TABLE x; --"}]}, "empty": ""},
    {},
]


@pytest.mark.django_db
def test_gathered_events_are_written_together_in_their_order_and_not_at_all_after_a_failure():
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from streaming.models import OutboxEvent

    before = OutboxEvent.objects.count()
    with CaptureQueriesContext(connection) as captured, transaction.atomic(), events.gathered():
        for n in range(3):
            emit("message.created", key=f"g{n}", payload={"n": n})
        assert OutboxEvent.objects.count() == before  # held back until the block ends
    inserts = [
        q["sql"] for q in captured.captured_queries if q["sql"].startswith('INSERT INTO "streaming_outboxevent"')
    ]
    assert len(inserts) == 1
    written = OutboxEvent.objects.order_by("occurred_at")[before:]  # the relay's order
    assert [e.key for e in written] == ["g0", "g1", "g2"]
    with transaction.atomic(), events.gathered():
        held = [emit("message.created", key=f"q{n}", payload=payload, actor=7) for n, payload in enumerate(AWKWARD)]
    for event in held:  # every column reads back as it was made, the payload's JSON untouched
        stored = OutboxEvent.objects.get(pk=event.pk)
        assert {f.attname: getattr(stored, f.attname) for f in OutboxEvent._meta.concrete_fields} == {
            f.attname: getattr(event, f.attname) for f in OutboxEvent._meta.concrete_fields
        }
    with pytest.raises(RuntimeError), transaction.atomic(), events.gathered():
        emit("message.created", key="lost", payload={})
        raise RuntimeError("the batch failed")
    assert not OutboxEvent.objects.filter(key="lost").exists()
