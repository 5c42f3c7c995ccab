"""The presence heartbeats of a loop's sockets (gateway.socket.heartbeats): renewed together, each
once an interval, while it is open, and whoever's renewal changed a status announces it."""

import gc

from gateway import presence
from gateway.socket import heartbeats
from testkit.services import async_wait_until


class Socket:
    """What the heartbeats see of a socket."""

    def __init__(self, user_id):
        self.user = type("User", (), {"pk": user_id})()
        self.connection_id = f"conn-{user_id}"
        self.closing = False
        self.announced = []

    def _announce(self, status):
        self.announced.append(status)


def recording(monkeypatch, changes=None):
    """presence.heartbeats replaced by a log of its calls; `changes` maps a user to what their
    renewal reports (None: unchanged)."""
    calls = []

    def renew(connections):
        calls.append(sorted(connections))
        return [(changes or {}).get(user_id) for user_id, _ in connections]

    monkeypatch.setattr(presence, "heartbeats", renew)
    return calls


async def test_sockets_due_together_are_renewed_in_one_call_and_again_an_interval_later(settings, monkeypatch):
    settings.PRESENCE_HEARTBEAT = 0.1
    calls = recording(monkeypatch)
    sockets = [Socket(1), Socket(2), Socket(3)]
    for socket in sockets:
        heartbeats.join(socket)
    await async_wait_until(lambda: len(calls) >= 2, "two beats")
    both = [(1, "conn-1"), (2, "conn-2"), (3, "conn-3")]
    assert calls[:2] == [both, both]


async def test_a_closing_socket_is_renewed_no_more_and_a_collected_one_is_not_kept(settings, monkeypatch):
    settings.PRESENCE_HEARTBEAT = 0.1
    calls = recording(monkeypatch)
    staying, leaving, dropped = Socket(1), Socket(2), Socket(3)
    for socket in (staying, leaving, dropped):
        heartbeats.join(socket)
    await async_wait_until(lambda: calls, "the first beat")
    leaving.closing = True
    del dropped, socket
    gc.collect()
    await async_wait_until(lambda: len(calls) >= 3, "two more beats")
    assert calls[1:3] == [[(1, "conn-1")], [(1, "conn-1")]]


async def test_a_renewal_that_changes_the_users_status_is_announced_by_that_socket(settings, monkeypatch):
    # A connection that had lapsed (a stalled process) is registered again by its next beat: its
    # user is back online, and the socket tells its conversations.
    settings.PRESENCE_HEARTBEAT = 0.1
    recording(monkeypatch, changes={2: presence.ONLINE})
    quiet, back = Socket(1), Socket(2)
    heartbeats.join(quiet)
    heartbeats.join(back)
    await async_wait_until(lambda: back.announced, "the change announced")
    assert back.announced[0] == presence.ONLINE and quiet.announced == []


async def test_a_beat_that_fails_is_logged_and_the_next_one_still_comes(settings, monkeypatch, caplog):
    settings.PRESENCE_HEARTBEAT = 0.1
    calls = []

    def fails_once(connections):
        calls.append(connections)
        if len(calls) == 1:
            raise ConnectionError("Redis is away")
        return [None for _ in connections]

    monkeypatch.setattr(presence, "heartbeats", fails_once)
    socket = Socket(1)  # held here, as an open socket's connection holds it
    heartbeats.join(socket)
    await async_wait_until(lambda: len(calls) >= 2, "a beat after the failed one")
    assert "presence heartbeats of 1 socket(s) failed" in caplog.text


async def test_the_beat_task_ends_once_no_socket_is_left(settings, monkeypatch):
    settings.PRESENCE_HEARTBEAT = 0.05
    recording(monkeypatch)
    socket = Socket(1)
    heartbeats.join(socket)
    beats = heartbeats.beats()
    socket.closing = True
    await async_wait_until(lambda: beats.task.done(), "the beat task to end")
    assert not beats.queue
