"""A change published to each conversation of its person reaches a socket once, whichever shared
conversation it came through: the hub keeps the stamps it delivered lately, for every socket of the
process (gateway.fanout.once)."""

from gateway import fanout
from gateway.fanout import once
from testkit.services import async_wait_until
from testkit.sockets import HubMember


def change(user_id, status="online"):
    return fanout.presence_change(user_id, status)


async def joined(hub, socket, *groups):
    for group in groups:
        await hub.join(group, socket)
    return socket


def statuses_in(message):
    return [(user, status) for user, status, _ in message["changes"]]


async def test_a_change_heard_through_a_second_shared_conversation_is_not_told_again():
    hub = fanout.adapter().hub()
    in_both = await joined(hub, HubMember(), "conv.a", "conv.b")
    only_b = await joined(hub, HubMember(), "conv.b")
    message = fanout.presence_message([change(2)])

    hub.deliver("conv.a", message)
    hub.deliver("conv.b", message)  # the copy published to the other conversation

    assert [statuses_in(m) for m in in_both.received] == [[(2, "online")]]
    assert [statuses_in(m) for m in only_b.received] == [[(2, "online")]]


async def test_a_batch_keeps_for_each_socket_only_the_changes_it_has_not_had():
    hub = fanout.adapter().hub()
    in_both = await joined(hub, HubMember(), "conv.a", "conv.b")
    only_b = await joined(hub, HubMember(), "conv.b")
    shared, other = change(2), change(3, "away")

    hub.deliver("conv.a", fanout.presence_message([shared]))
    hub.deliver("conv.b", fanout.presence_message([shared, other]))

    assert [statuses_in(m) for m in in_both.received] == [[(2, "online")], [(3, "away")]]
    assert [statuses_in(m) for m in only_b.received] == [[(2, "online"), (3, "away")]]


async def test_a_profile_change_through_the_user_group_and_a_conversation_is_told_once():
    hub = fanout.adapter().hub()
    own_device = await joined(hub, HubMember(), "user.1", "conv.a")
    message = {"type": "chat.profile", "user_id": 1, "stamp": "p1"}

    hub.deliver("user.1", message)
    hub.deliver("conv.a", message)

    assert own_device.received == [message]


async def test_a_new_change_of_the_same_person_is_told_again():
    hub = fanout.adapter().hub()
    socket = await joined(hub, HubMember(), "conv.a", "conv.b")

    hub.deliver("conv.a", fanout.presence_message([change(2, "away")]))
    hub.deliver("conv.b", fanout.presence_message([change(2, "online")]))

    assert [statuses_in(m) for m in socket.received] == [[(2, "away")], [(2, "online")]]


async def test_messages_without_stamps_reach_every_member_of_each_group():
    hub = fanout.adapter().hub()
    socket = await joined(hub, HubMember(), "conv.a", "conv.b")
    typing = fanout.typing_message("a", 2, 5)

    hub.deliver("conv.a", typing)
    hub.deliver("conv.b", typing)

    assert socket.received == [typing, typing]


async def test_the_hub_forgets_the_stamps_it_delivered(monkeypatch):
    monkeypatch.setattr(once, "STAMPS_KEPT_SECONDS", 0.05)
    hub = fanout.adapter().hub()
    socket = await joined(hub, HubMember(), "conv.a")
    hub.deliver("conv.a", fanout.presence_message([change(2), change(3)]))
    assert hub.once.recent

    await async_wait_until(lambda: not hub.once.recent and not hub.once.older, "the stamps forgotten")
    assert len(socket.received) == 1
