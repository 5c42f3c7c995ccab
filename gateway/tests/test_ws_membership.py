"""Events reach exactly the live sockets of current members, and never cross a block."""

import asyncio

import pytest

from chats import actions
from graph.actions import do_block, do_unblock
from testkit.factories import send
from testkit.sockets import connect, in_thread, send_message

pytestmark = pytest.mark.django_db(transaction=True)


async def test_a_kicked_member_stops_receiving_at_once(alice, bob, carol, group):
    await in_thread(actions.do_invite, alice, group.id, carol)
    b, c = await connect(bob), await connect(carol)

    await in_thread(actions.do_kick, alice, group.id, carol)
    [left] = await c.events(group.id, 1)
    assert left["type"] == "member.left" and left["data"] == {"user_id": carol.pk, "reason": "kicked"}

    await in_thread(send, alice, group, "after carol left")
    assert [e["type"] for e in await b.events(group.id, 2)] == ["member.left", "message.created"]
    assert await c.quiet() == []
    answer = await c.request({"type": "typing", "conversation_id": str(group.id)})
    assert answer["error"]["code"] == "not_found"  # as every frame answers about a conversation one cannot see


async def test_a_member_who_leaves_stops_receiving(alice, bob, group):
    b = await connect(bob)
    await in_thread(actions.do_leave, bob, group.id)
    [left] = await b.events(group.id, 1)
    assert left["type"] == "member.left" and left["data"]["reason"] == "left"
    await in_thread(send, alice, group, "bye")
    assert await b.quiet() == []


async def test_a_new_member_starts_receiving_from_their_own_join(alice, carol, group):
    c = await connect(carol)
    await in_thread(send, alice, group, "before carol")
    await in_thread(actions.do_invite, alice, group.id, carol)
    [joined] = await c.events(group.id, 1)
    assert joined["type"] == "member.joined" and joined["data"]["user_id"] == carol.pk

    await in_thread(send, alice, group, "welcome")
    [welcome] = await c.events(group.id, 1)
    assert welcome["message"]["text"] == "welcome" and welcome["seq"] == joined["seq"] + 1
    sent = await send_message(c, group.id, "thanks")  # and may write at once
    assert sent["seq"] == welcome["seq"] + 1


async def test_a_rejoined_member_receives_again(alice, bob, carol, group):
    await in_thread(actions.do_invite, alice, group.id, carol)
    c = await connect(carol)
    await in_thread(actions.do_kick, alice, group.id, carol)
    await in_thread(actions.do_invite, alice, group.id, carol)
    await in_thread(send, alice, group, "back again")
    events = await c.events(group.id, 3)
    assert [e["type"] for e in events] == ["member.left", "member.joined", "message.created"]
    assert [e["seq"] for e in events] == list(range(events[0]["seq"], events[0]["seq"] + 3))


async def test_a_blocked_senders_messages_reach_the_blocker_as_hidden(alice, bob, carol, group):
    await in_thread(actions.do_invite, alice, group.id, carol)
    a, c = await connect(alice), await connect(carol)
    await in_thread(do_block, alice, bob)

    await in_thread(send, bob, group, "from bob")
    [hidden] = await a.events(group.id, 1)
    assert hidden["type"] == "hidden"
    assert hidden["message"] is None and hidden["actor_id"] is None and hidden["data"] == {}
    [seen] = await c.events(group.id, 1)
    assert seen["type"] == "message.created" and seen["message"]["text"] == "from bob"
    assert seen["seq"] == hidden["seq"]  # the blocker's log has no gap

    await in_thread(do_unblock, alice, bob)
    await in_thread(send, bob, group, "bob again")
    [visible] = await a.events(group.id, 1)
    assert visible["message"]["text"] == "bob again"


async def test_a_blocked_senders_messages_are_hidden_in_a_replay_too(alice, bob, group):
    await in_thread(do_block, alice, bob)
    start = (await in_thread(send, alice, group, "mine")).seq
    await in_thread(send, bob, group, "his")
    a = await connect(alice, resume={group.id: start - 1})
    mine, his = await a.events(group.id, 2)
    assert mine["message"]["text"] == "mine"
    assert his["type"] == "hidden" and his["message"] is None


async def test_typing_and_receipts_do_not_cross_a_block(alice, bob, group):
    a = await connect(alice)
    b = await connect(bob)
    assert (await a.wait_for(lambda f: f["type"] == "presence")) == {
        "type": "presence",
        "users": {str(bob.pk): "online"},
    }
    await in_thread(do_block, bob, alice)  # bob blocks alice: she does not see him either
    await asyncio.sleep(0.3)  # open sockets reload their block lists just after the commit
    await b.request({"type": "typing", "conversation_id": str(group.id)})
    latest = (await in_thread(send, alice, group, "x")).seq
    await b.request({"type": "read", "conversation_id": str(group.id), "seq": latest})
    frames = await a.quiet()
    assert [f["type"] for f in frames] == ["message.created"]  # her own; no typing, no receipt from bob
