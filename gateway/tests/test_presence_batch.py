"""Presence changes travel in batches: a socket gathers what it hears within PRESENCE_BATCH_SECONDS
into one frame, and a process publishes its sockets' changes to each conversation together."""

import asyncio

from gateway import fanout
from gateway.socket import announcer
from gateway.socket.signals import SignalsMixin
from testkit.services import deadline
from testkit.sockets import HubMember


def changes(*statuses):
    """A group message naming each (user id, status) as one change."""
    return fanout.presence_message([fanout.presence_change(user_id, status) for user_id, status in statuses])


class Socket(SignalsMixin):
    """The presence part of a socket, with its frames kept instead of written."""

    def __init__(self, user_id):
        self.user = type("User", (), {"pk": user_id})()
        self.frames = []
        self.emitted = asyncio.Event()
        self._init_signals()

    def _emit(self, frame):
        self.frames.append(frame)
        self.emitted.set()

    async def next_frames(self):
        await asyncio.wait_for(self.emitted.wait(), deadline())
        return self.frames


async def test_changes_heard_together_reach_the_socket_as_one_frame(settings):
    settings.PRESENCE_BATCH_SECONDS = 0.05
    socket = Socket(1)
    socket.chat_presence_changes(changes((2, "online")))
    socket.chat_presence_changes(changes((3, "online")))
    socket.chat_presence_changes(changes((2, "away")))  # the later change of 2 wins
    assert socket.frames == []  # nothing before the batch is due

    assert await socket.next_frames() == [{"type": "presence", "users": {"2": "away", "3": "online"}}]


async def test_someone_blocked_while_the_batch_waits_is_left_out(settings):
    settings.PRESENCE_BATCH_SECONDS = 0.05
    socket = Socket(1)
    socket.chat_presence_changes(changes((2, "online")))
    socket.chat_presence_changes(changes((3, "online")))
    socket.blocked = {3}  # a block list reload, before the batch went out

    assert await socket.next_frames() == [{"type": "presence", "users": {"2": "online"}}]


async def test_the_one_change_message_of_an_older_server_is_still_heard(settings):
    # During a rolling deploy, servers of the previous version announce one change a message.
    settings.PRESENCE_BATCH_SECONDS = 0.05
    socket = Socket(1)
    socket.chat_presence({"type": "chat.presence", "user_id": 2, "status": "away", "stamp": "s1"})
    assert await socket.next_frames() == [{"type": "presence", "users": {"2": "away"}}]


async def members_of(*groups):
    """A stand-in socket in each group, as the hub delivers to them."""
    hub, members = fanout.adapter().hub(), []
    for group in groups:
        members.append(HubMember())
        await hub.join(group, members[-1])
    return members


def statuses_in(message):
    return [(user, status) for user, status, _ in message["changes"]]


async def test_changes_announced_together_reach_each_conversation_in_one_message(settings):
    settings.PRESENCE_BATCH_SECONDS = 0.05
    in_a, in_b = await members_of("conv.a", "conv.b")
    announcer.announce(1, "online", ["conv.a", "conv.b"])
    announcer.announce(2, "online", ["conv.a"])
    announcer.announce(1, "away", ["conv.a", "conv.b"])  # before the batch left: it replaces "online"
    await in_a.until(len)
    await in_b.until(len)
    announcer.announce(3, "online", ["conv.a"])  # the next batch, after the first one left
    await in_a.until(lambda received: len(received) == 2)

    (first, after), (only_b,) = in_a.received, in_b.received
    assert statuses_in(first) == [(1, "away"), (2, "online")]
    assert statuses_in(after) == [(3, "online")]
    assert statuses_in(only_b) == [(1, "away")]
    # The same change in both conversations: a socket in both tells its user once.
    assert only_b["changes"][0][2] == first["changes"][0][2]


async def test_a_batch_that_could_not_be_published_does_not_stop_the_next(settings, monkeypatch):
    settings.PRESENCE_BATCH_SECONDS = 0.05
    (in_a,) = await members_of("conv.a")
    publish = fanout.publish
    failed = asyncio.Event()

    async def fails_once(group, message):
        if not failed.is_set():
            failed.set()
            raise ConnectionError("Redis is away")
        await publish(group, message)

    monkeypatch.setattr(fanout, "publish", fails_once)
    announcer.announce(1, "online", ["conv.a"])
    await asyncio.wait_for(failed.wait(), deadline())
    announcer.announce(2, "online", ["conv.a"])
    await in_a.until(len)

    assert [statuses_in(m) for m in in_a.received] == [[(2, "online")]]
