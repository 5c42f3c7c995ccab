"""Group commit: sends into one conversation written together keep their order, their own checks
and their own outcome, and none is reported done unless its transaction committed."""

import asyncio
import time

import pytest
from django.db import DatabaseError, connection
from django.test.utils import CaptureQueriesContext

from chats import actions, group_commit
from chats.actions import SendRequest
from chats.backends import get_store
from chatsite.api_errors import ApiError
from testkit.factories import group_of
from testkit.sockets import in_thread

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def room(django_user_model):
    owner = django_user_model.objects.create_user("owner")
    member = django_user_model.objects.create_user("member")
    outsider = django_user_model.objects.create_user("outsider")
    return owner, member, outsider, group_of(owner, member)


def texts_after(conversation, seq):
    return [(m.seq, m.text) for m in get_store().page(conversation.id, after=seq, limit=100)]


def test_a_batch_of_sends_commits_once_and_keeps_their_order(room, settings):
    # Events leave through the relay, as in production: on the embedded defaults each would be
    # handled in process after the commit, in a transaction of its own.
    settings.KAFKA_BOOTSTRAP_SERVERS = "relay.invalid:9092"
    owner, member, _, conversation = room
    start = get_store().latest_seq(conversation.id)
    requests = [SendRequest(owner if i % 2 else member, conversation.id, f"m{i}", f"c{i}") for i in range(5)]
    with CaptureQueriesContext(connection) as captured:
        outcomes = actions.do_send_messages(requests)
    assert [m.seq for m, created in outcomes] == list(range(start + 1, start + 6))
    assert all(created for _, created in outcomes)
    assert texts_after(conversation, start) == [(start + 1 + i, f"m{i}") for i in range(5)]
    assert [q["sql"] for q in captured.captured_queries].count("COMMIT") == 1


def test_a_refused_send_in_a_batch_leaves_the_others_and_gets_its_own_error(room):
    owner, _, outsider, conversation = room
    start = get_store().latest_seq(conversation.id)
    outcomes = actions.do_send_messages(
        [
            SendRequest(owner, conversation.id, "first", "a"),
            SendRequest(outsider, conversation.id, "not a member", "b"),
            SendRequest(owner, conversation.id, "   ", "c"),
            SendRequest(owner, conversation.id, "last", "d"),
        ]
    )
    assert isinstance(outcomes[1], ApiError) and outcomes[1].status_code == 404
    assert isinstance(outcomes[2], ApiError) and outcomes[2].code == "invalid"
    assert texts_after(conversation, start) == [(start + 1, "first"), (start + 2, "last")]


def test_a_batch_from_many_senders_asks_for_their_memberships_once(room, django_user_model, settings):
    settings.KAFKA_BOOTSTRAP_SERVERS = "relay.invalid:9092"  # events leave through the relay (see above)
    owner, member, outsider, _ = room
    people = [django_user_model.objects.create_user(f"p{i}") for i in range(6)]
    conversation = group_of(owner, member, *people, title="Busy")
    start = get_store().latest_seq(conversation.id)
    senders = [owner, member, *people, outsider]
    with CaptureQueriesContext(connection) as captured:
        outcomes = actions.do_send_messages(
            [SendRequest(who, conversation.id, f"from {who.username}", f"m-{who.username}") for who in senders]
        )
    assert [m.seq for m, _ in outcomes[:-1]] == list(range(start + 1, start + 9))
    assert isinstance(outcomes[-1], ApiError) and outcomes[-1].status_code == 404  # asked alone, refused alone
    membership_reads = [q["sql"] for q in captured.captured_queries if 'FROM "chats_membership"' in q["sql"]]
    assert len(membership_reads) == 2, membership_reads  # the members' together, the outsider's own


def test_sends_of_several_senders_into_an_archived_conversation_are_each_refused(room):
    owner, member, _, conversation = room
    start = get_store().latest_seq(conversation.id)
    actions.do_archive(owner, conversation.id)
    outcomes = actions.do_send_messages(
        [SendRequest(who, conversation.id, "late", f"late-{who.username}") for who in (owner, member)]
    )
    assert [(o.status_code, o.code) for o in outcomes] == [(409, "archived"), (409, "archived")]
    assert "late" not in [text for _, text in texts_after(conversation, start)]


def test_a_send_failing_in_the_database_is_rolled_back_alone_without_a_gap(room, monkeypatch):
    from chats.actions import posting

    owner, _, _, conversation = room
    start = get_store().latest_seq(conversation.id)
    announce = posting.announce

    def failing_after_the_insert(event, user, payload):
        if payload["text"] == "poison":
            raise DatabaseError("the outbox is full")
        return announce(event, user, payload)

    monkeypatch.setattr(posting, "announce", failing_after_the_insert)
    outcomes = actions.do_send_messages(
        [SendRequest(owner, conversation.id, text, text) for text in ("before", "poison", "after")]
    )
    assert isinstance(outcomes[1], DatabaseError)
    assert texts_after(conversation, start) == [(start + 1, "before"), (start + 2, "after")]
    events = get_store().events_after(conversation.id, start, 100)
    assert [e.seq for e in events] == [start + 1, start + 2]


def test_a_failed_commit_reports_no_send_of_the_batch_as_done_and_keeps_none(room, monkeypatch):
    owner, member, _, conversation = room
    start = get_store().latest_seq(conversation.id)

    def refused():
        raise DatabaseError("could not flush the log")

    monkeypatch.setattr(connection, "commit", refused)
    outcomes = actions.do_send_messages(
        [SendRequest(owner, conversation.id, "one", "x1"), SendRequest(member, conversation.id, "two", "x2")]
    )
    monkeypatch.undo()
    assert all(isinstance(outcome, DatabaseError) for outcome in outcomes)
    assert texts_after(conversation, start) == []
    # the clients' retries go through, with the seqs that were not taken
    retried = actions.do_send_messages([SendRequest(owner, conversation.id, "one", "x1")])
    assert retried[0][0].seq == start + 1


def test_a_single_send_keeps_its_exception(room):
    _, _, outsider, conversation = room
    with pytest.raises(ApiError) as refused:
        actions.do_send_message(outsider, conversation.id, text="hi", client_id="o1")
    assert refused.value.status_code == 404


async def test_sends_arriving_together_share_batches_and_are_answered_in_their_order(room, monkeypatch):
    owner, member, outsider, conversation = room
    sizes = []
    batch = group_commit.do_send_messages

    def recorded(requests):
        sizes.append(len(requests))
        return batch(requests)

    monkeypatch.setattr(group_commit, "do_send_messages", recorded)
    start = await in_thread(get_store().latest_seq, conversation.id)
    senders = [owner, member, outsider] * 10
    answers = await asyncio.gather(
        *(group_commit.send(SendRequest(u, conversation.id, f"t{i}", f"k{i}")) for i, u in enumerate(senders)),
        return_exceptions=True,
    )
    refused = [a for u, a in zip(senders, answers, strict=True) if u is outsider]
    assert all(isinstance(a, ApiError) for a in refused)
    delivered = [a[0].seq for u, a in zip(senders, answers, strict=True) if u is not outsider]
    assert delivered == list(range(start + 1, start + 21))  # in the order they were submitted
    assert sum(sizes) == 30 and len(sizes) < 30


def test_a_batch_past_a_senders_rate_sends_the_first_ones_and_refuses_the_rest(room, settings, monkeypatch):
    owner, member, _, conversation = room
    settings.MESSAGE_RATE_LIMIT = "2/h"
    # An hour of its own, far ahead: the counters of other runs (same user ids) are elsewhere.
    hour = time.time() + 3600 * (10_000 + time.time_ns() % 100_000)
    monkeypatch.setattr(time, "time", lambda: hour)
    outcomes = actions.do_send_messages(
        [SendRequest(owner, conversation.id, f"t{i}", f"c{i}") for i in range(4)]
        + [SendRequest(member, conversation.id, "theirs", "m-1")]
    )
    assert [isinstance(o, tuple) for o in outcomes] == [True, True, False, False, True]
    assert {o.code for o in outcomes[2:4]} == {"rate_limited"}


async def test_sync_callers_in_threads_of_the_loop_share_its_batches(room, monkeypatch):
    # As a REST view runs under ASGI: a thread of its own per request, started from the loop.
    from asgiref.sync import ThreadSensitiveContext, sync_to_async

    owner, member, _, conversation = room
    sizes, batch = [], group_commit.do_send_messages
    monkeypatch.setattr(
        group_commit, "do_send_messages", lambda requests: sizes.append(len(requests)) or batch(requests)
    )

    def sending(request):
        connection.ensure_connection()  # as a view holds one after reading the token
        answer = group_commit.send_blocking(request)
        # Given back to the pool while it waited (the embedded test database lives in memory, in
        # its one connection, which Django never closes).
        assert connection.connection is None or connection.vendor == "sqlite"
        return answer

    async def view(i):
        async with ThreadSensitiveContext():
            request = SendRequest(owner if i % 2 else member, conversation.id, f"rest {i}", f"rest-{i}")
            return await sync_to_async(sending)(request)

    answers = await asyncio.gather(*(view(i) for i in range(12)))
    seqs = sorted(message.seq for message, created in answers if created)
    assert len(seqs) == 12 and seqs == list(range(seqs[0], seqs[0] + 12))
    assert sum(sizes) == 12 and len(sizes) < 12


async def test_a_sync_caller_inside_a_transaction_writes_in_that_transaction(room):
    from django.db import transaction

    owner, _, _, conversation = room
    start = await in_thread(get_store().latest_seq, conversation.id)

    class Undo(Exception):
        """Raised inside the caller's transaction, to roll it back."""

    def send_then_fail():
        with transaction.atomic():
            group_commit.send_blocking(SendRequest(owner, conversation.id, "undone", "undone-1"))
            raise Undo

    with pytest.raises(Undo):
        await in_thread(send_then_fail)
    assert await in_thread(texts_after, conversation, start) == []
