"""A socket gathers the presence changes it hears within PRESENCE_BATCH_SECONDS into one frame."""

import asyncio

from gateway import fanout
from gateway.socket.signals import SignalsMixin
from testkit.services import deadline


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
    socket.chat_presence(fanout.presence_message(2, "online"))
    socket.chat_presence(fanout.presence_message(3, "online"))
    socket.chat_presence(fanout.presence_message(2, "away"))  # the later change of 2 wins
    assert socket.frames == []  # nothing before the batch is due

    assert await socket.next_frames() == [{"type": "presence", "users": {"2": "away", "3": "online"}}]


async def test_a_change_repeated_through_another_shared_conversation_is_sent_once(settings):
    settings.PRESENCE_BATCH_SECONDS = 0.05
    socket = Socket(1)
    message = fanout.presence_message(2, "online")
    socket.chat_presence(message)
    assert await socket.next_frames() == [{"type": "presence", "users": {"2": "online"}}]
    socket.chat_presence(message)  # the same change, heard through a second conversation
    assert socket.presence_batch == {}  # nothing queued, so nothing more can go out
    assert len(socket.frames) == 1


async def test_someone_blocked_while_the_batch_waits_is_left_out(settings):
    settings.PRESENCE_BATCH_SECONDS = 0.05
    socket = Socket(1)
    socket.chat_presence(fanout.presence_message(2, "online"))
    socket.chat_presence(fanout.presence_message(3, "online"))
    socket.blocked = {3}  # a block list reload, before the batch went out

    assert await socket.next_frames() == [{"type": "presence", "users": {"2": "online"}}]
