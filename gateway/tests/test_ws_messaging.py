"""Messages over the socket: acks with seqs, live events, and lossless resume."""

import asyncio

import pytest
from django.db import transaction

from chats import actions
from chats.backends import get_store
from testkit.factories import group_of, send
from testkit.sockets import connect, in_thread, send_message

pytestmark = pytest.mark.django_db(transaction=True)


def seqs(frames):
    return [f["seq"] for f in frames]


async def test_two_users_exchange_messages_with_acks_and_seqs(alice, bob, group):
    a, b = await connect(alice), await connect(bob)
    assert str(group.id) in a.hello["conversations"]

    sent = await send_message(a, group.id, "hi bob")
    assert sent["text"] == "hi bob" and sent["sender_id"] == alice.pk
    [seen] = await b.events(group.id, 1)
    assert seen["type"] == "message.created"
    assert seen["seq"] == sent["seq"] and seen["message"]["id"] == sent["id"]

    reply = await send_message(b, group.id, "hi alice")
    assert reply["seq"] == sent["seq"] + 1
    created = await a.events(group.id, 2)
    assert [f["message"]["text"] for f in created] == ["hi bob", "hi alice"]  # her own, then his


async def test_a_retried_send_answers_the_first_message(alice, group):
    a = await connect(alice)
    frame = {"type": "send", "conversation_id": str(group.id), "client_id": "same-id", "text": "once"}
    first, again = await a.request(frame), await a.request(frame)
    assert first["result"]["created"] is True and again["result"]["created"] is False
    assert again["result"]["message"]["seq"] == first["result"]["message"]["seq"]


async def test_edit_react_delete_and_read_arrive_as_events_with_their_seq(alice, bob, group):
    a, b = await connect(alice), await connect(bob)
    message = await send_message(a, group.id, "draft")
    target = {"conversation_id": str(group.id), "message_id": message["id"]}
    for frame in (
        {"type": "edit", **target, "text": "final"},
        {"type": "react", **target, "emoji": "👍"},
        {"type": "unreact", **target, "emoji": "👍"},
        {"type": "delete", **target},
    ):
        assert (await a.request(frame))["type"] == "ack"
    events = await b.events(group.id, 5)
    assert [e["type"] for e in events] == [
        "message.created",
        "message.edited",
        "reaction.added",
        "reaction.removed",
        "message.deleted",
    ]
    assert seqs(events) == list(range(message["seq"], message["seq"] + 5))
    assert events[1]["message"]["text"] == "final"

    answer = await b.request({"type": "read", "conversation_id": str(group.id), "seq": events[-1]["seq"]})
    assert answer["result"] == {"last_read_seq": events[-1]["seq"]}
    receipt = await a.wait_for(lambda f: f["type"] == "read")
    assert receipt == {"type": "read", "conversation_id": str(group.id), "user_id": bob.pk, "seq": events[-1]["seq"]}


async def test_resume_after_a_disconnect_delivers_exactly_the_missed_messages_in_order(store, alice, bob, group):
    b = await connect(bob)
    await send_message(b, group.id, "before")
    [last_seen] = await b.events(group.id, 1)
    await b.disconnect()

    for i in range(50):
        await in_thread(send, alice, group, f"missed {i}")

    b = await connect(bob, resume={group.id: last_seen["seq"]})
    missed = await b.events(group.id, 50)
    assert [f["message"]["text"] for f in missed] == [f"missed {i}" for i in range(50)]
    assert seqs(missed) == list(range(last_seen["seq"] + 1, last_seen["seq"] + 51))
    assert await b.quiet() == []  # nothing twice

    live = await send_message(b, group.id, "and now live")
    [after] = await b.events(group.id, 1)
    assert after["seq"] == live["seq"] == last_seen["seq"] + 51


async def test_resume_of_one_conversation_seen_to_the_end_and_one_behind_replays_only_what_was_missed(
    store, alice, bob, group
):
    other = await in_thread(group_of, alice, bob, title="Other")
    await in_thread(send, alice, group, "seen")
    await in_thread(send, alice, other, "seen too")
    ends = {c.id: await in_thread(store.latest_seq, c.id) for c in (group, other)}
    for i in range(3):
        await in_thread(send, alice, other, f"missed {i}")

    b = await connect(bob, resume=ends)
    missed = await b.events(other.id, 3)
    assert [f["message"]["text"] for f in missed] == ["missed 0", "missed 1", "missed 2"]
    assert seqs(missed) == list(range(ends[other.id] + 1, ends[other.id] + 4))
    assert await b.quiet() == []  # nothing of the conversation seen to the end, nothing twice

    await in_thread(send, alice, group, "live")
    [live] = await b.events(group.id, 1)
    assert live["seq"] == ends[group.id] + 1 and live["message"]["text"] == "live"


async def test_resume_while_messages_keep_arriving_has_no_gap_and_no_duplicate(store, settings, alice, bob, group):
    settings.WS_REPLAY_PAGE = 5  # many small reads, so that sends land between them
    for i in range(30):
        await in_thread(send, alice, group, f"old {i}")

    async def keep_sending():
        for i in range(40):
            await in_thread(send, alice, group, f"new {i}")
            await asyncio.sleep(0.005)

    sender = asyncio.ensure_future(keep_sending())
    b = await connect(bob, resume={group.id: 0})
    await sender
    latest = await in_thread(store.latest_seq, group.id)
    frames = await b.events(group.id, latest)
    assert seqs(frames) == list(range(1, latest + 1))
    assert await b.quiet() == []


async def test_a_lost_push_is_filled_from_the_store(store, alice, bob, group):
    b = await connect(bob)
    await in_thread(send, alice, group, "seen live")
    await b.events(group.id, 1)

    def send_without_push():
        # As if the push of this message never reached the socket (a Redis hiccup).
        with transaction.atomic():
            store.send(
                conversation_id=group.id,
                sender_id=alice.pk,
                client_id="lost",
                text="lost push",
                parent_id=None,
                mentions=[],
                mention_all=False,
            )

    await in_thread(send_without_push)
    await in_thread(send, alice, group, "next one")
    first, second = await b.events(group.id, 2)
    assert [first["message"]["text"], second["message"]["text"]] == ["lost push", "next one"]
    assert second["seq"] == first["seq"] + 1


async def test_a_client_too_far_behind_is_told_to_resync(settings, alice, bob, group):
    settings.WS_REPLAY_BOUND = 10
    for i in range(20):
        await in_thread(send, alice, group, f"m{i}")
    latest = await in_thread(get_store().latest_seq, group.id)
    b = await connect(bob, resume={group.id: 1})
    resync = await b.wait_for(lambda f: f["type"] == "resync")
    assert resync == {"type": "resync", "conversation_id": str(group.id), "seq": latest, "reason": "too_far_behind"}
    await in_thread(send, alice, group, "after the resync")
    [live] = await b.events(group.id, 1)
    assert live["seq"] == latest + 1


async def test_resume_of_a_conversation_one_is_not_in_is_refused_per_conversation(alice, carol, group):
    c = await connect(carol)
    answer = await c.request({"type": "resume", "conversations": {str(group.id): 0}})
    assert answer["result"] == {"conversations": {str(group.id): "not_member"}}
    await in_thread(send, alice, group, "private")
    assert await c.quiet() == []


async def test_without_resume_live_events_start_now(alice, bob, group):
    await in_thread(send, alice, group, "old news")
    b = await connect(bob)
    await in_thread(send, alice, group, "fresh")
    [frame] = await b.events(group.id, 1)
    assert frame["message"]["text"] == "fresh"
    assert await b.quiet() == []


async def test_sends_are_checked_by_the_same_rules_as_rest(alice, carol, group):
    c = await connect(carol)
    answer = await c.request({"type": "send", "conversation_id": str(group.id), "client_id": "x", "text": "let me in"})
    assert answer["type"] == "error"
    assert answer["error"]["code"] == "not_found"  # the conversation's existence does not leak

    a = await connect(alice)
    answer = await a.request({"type": "send", "conversation_id": str(group.id), "client_id": "x", "text": "x" * 4001})
    assert answer["error"]["code"] == "too_long"
    assert answer["error"]["fields"] == {"text": ["A message is at most 4000 characters."]}


async def test_the_message_rate_limit_answers_with_retry_after(settings, alice, group):
    settings.MESSAGE_RATE_LIMIT = "2/60s"
    a = await connect(alice)
    for _ in range(2):
        await send_message(a, group.id, "ok")
    answer = await a.request({"type": "send", "conversation_id": str(group.id), "client_id": "third", "text": "no"})
    assert answer["error"]["code"] == "rate_limited"
    assert answer["retry_after"] >= 1


async def test_archived_conversations_refuse_writes_but_keep_the_socket(alice, group):
    a = await connect(alice)
    await in_thread(actions.do_archive, alice, group.id)
    answer = await a.request({"type": "send", "conversation_id": str(group.id), "client_id": "x", "text": "late"})
    assert answer["error"]["code"] == "archived"
    assert (await a.request({"type": "ping"}))["type"] == "pong"


async def test_sends_are_pipelined_acked_in_order_and_a_later_frame_sees_them_all(alice, bob, group, monkeypatch):
    from chats import group_commit

    batches, write = [], group_commit.do_send_messages
    monkeypatch.setattr(
        group_commit, "do_send_messages", lambda requests: batches.append(len(requests)) or write(requests)
    )
    a, b = await connect(alice), await connect(bob)
    start = await in_thread(get_store().latest_seq, group.id)
    cid = str(group.id)
    for i in range(20):  # without waiting for any ack
        await a.send({"type": "send", "id": f"p{i}", "conversation_id": cid, "client_id": f"pipe{i}", "text": f"n{i}"})
    await a.send({"type": "read", "id": "after", "conversation_id": cid, "seq": 10**6})
    answers = [await a.wait_for(lambda f: f.get("type") in ("ack", "error") and "id" in f) for _ in range(21)]
    assert [f["id"] for f in answers] == [f"p{i}" for i in range(20)] + ["after"]
    assert [f["result"]["message"]["seq"] for f in answers[:20]] == list(range(start + 1, start + 21))
    assert answers[20]["result"]["last_read_seq"] == start + 20  # the read came after every send
    assert [f["message"]["text"] for f in await b.events(group.id, 20)] == [f"n{i}" for i in range(20)]
    assert sum(batches) == 20 and len(batches) < 20  # a send did not wait for the one before it
