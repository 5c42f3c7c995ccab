"""Presence (online, away, offline) across devices and processes, and typing indicators."""

import asyncio
import time
import uuid

import pytest
from django.conf import settings as django_settings

from chats.tasks import sweep_presence
from gateway import presence
from testkit.services import async_wait_until, require_service
from testkit.sockets import connect, in_thread


def presence_of(frame, user):
    return frame["users"].get(str(user.pk))


async def next_presence(client, user):
    frame = await client.wait_for(lambda f: f["type"] == "presence" and str(user.pk) in f["users"])
    return presence_of(frame, user)


@pytest.mark.django_db(transaction=True)
async def test_presence_goes_to_people_who_share_a_conversation_and_to_no_one_else(alice, bob, carol, group):
    a, c = await connect(alice), await connect(carol)
    b = await connect(bob)
    assert await next_presence(a, bob) == "online"
    assert b.presence == {"type": "presence", "users": {str(alice.pk): "online"}}  # the snapshot
    assert await c.quiet() == []  # carol shares nothing with bob

    await b.request({"type": "presence", "status": "away"})
    assert await next_presence(a, bob) == "away"
    await b.disconnect()
    assert await next_presence(a, bob) == "offline"
    assert await c.quiet() == []


@pytest.mark.django_db(transaction=True)
async def test_a_user_is_online_while_any_device_is(alice, bob, group):
    a = await connect(alice)
    phone = await connect(bob)
    assert await next_presence(a, bob) == "online"
    laptop = await connect(bob)
    await laptop.request({"type": "presence", "status": "away"})
    await laptop.disconnect()
    assert await a.quiet() == []  # the phone is still online: no change to announce

    await phone.request({"type": "presence", "status": "away"})
    assert await next_presence(a, bob) == "away"
    await phone.disconnect()
    assert await next_presence(a, bob) == "offline"


@pytest.mark.django_db(transaction=True)
async def test_a_reconnect_within_the_grace_announces_no_offline(settings, alice, bob, group):
    settings.PRESENCE_OFFLINE_GRACE = 2
    a = await connect(alice)
    b = await connect(bob)
    assert await next_presence(a, bob) == "online"
    await b.disconnect()
    b = await connect(bob)  # a reload: back well within the grace
    settings.PRESENCE_OFFLINE_GRACE = 0
    await b.disconnect()  # gone for good this time, announced at once
    statuses = []
    while "offline" not in statuses:
        statuses.append(await next_presence(a, bob))
    assert statuses.count("offline") == 1 and statuses.index("offline") == len(statuses) - 1
    assert set(statuses[:-1]) <= {"online"}  # never offline in between


@pytest.mark.django_db(transaction=True)
async def test_a_new_member_is_told_who_of_the_conversation_is_around(alice, bob, carol, group):
    from chats import actions

    await connect(bob)  # bob is around
    c = await connect(carol)
    assert c.presence == {"type": "presence", "users": {}}  # carol shares nothing yet
    await in_thread(actions.do_invite, alice, group.id, carol)
    assert await next_presence(c, bob) == "online"


@pytest.mark.django_db(transaction=True)
async def test_typing_reaches_the_others_with_an_expiry_and_repeats_are_dropped(settings, alice, bob, group):
    settings.TYPING_EXPIRES = 5
    settings.TYPING_MIN_INTERVAL = 0.5
    a, b = await connect(alice), await connect(bob)
    first = await a.request({"type": "typing", "conversation_id": str(group.id)})
    assert first["result"] == {"expires_in": 5, "sent": True}
    typing = await b.wait_for(lambda f: f["type"] == "typing")
    assert typing == {"type": "typing", "conversation_id": str(group.id), "user_id": alice.pk, "expires_in": 5}

    repeat = await a.request({"type": "typing", "conversation_id": str(group.id)})
    assert repeat["result"]["sent"] is False
    assert [f for f in await b.quiet() if f["type"] == "typing"] == []
    assert [f for f in await a.quiet() if f["type"] == "typing"] == []  # not echoed to the typist

    await asyncio.sleep(0.5)
    again = await a.request({"type": "typing", "conversation_id": str(group.id)})
    assert again["result"]["sent"] is True


@pytest.mark.django_db(transaction=True)
async def test_a_crashed_connection_lapses_and_the_sweep_announces_it(settings, alice, bob, group):
    a = await connect(alice)
    settings.PRESENCE_TTL = 0.3  # bob's socket registers for 0.3 s and never renews
    settings.PRESENCE_HEARTBEAT = 60
    await connect(bob)
    assert await next_presence(a, bob) == "online"
    await asyncio.sleep(0.5)
    settings.PRESENCE_TTL = 60
    assert await in_thread(lambda: sweep_presence.apply().get()) >= 1  # the beat job that announces it
    assert await next_presence(a, bob) == "offline"
    assert await in_thread(lambda: sweep_presence.apply().get()) == 0  # only alice is left, and she is alive


def connection_expiry(user_id, connection):
    """When the presence entry of one connection lapses unless renewed (epoch seconds)."""
    backend = presence.backend()
    if isinstance(backend, presence.RedisPresence):
        return backend.redis.zscore(f"{backend.PREFIX}conns:{user_id}", connection)
    return backend._connections[user_id][connection][1]


@pytest.mark.django_db(transaction=True)
async def test_an_open_socket_keeps_renewing_its_presence_entry(settings, alice, bob, group):
    settings.PRESENCE_HEARTBEAT = 0.2
    b = await connect(bob)
    first = await in_thread(connection_expiry, bob.pk, b.hello["connection"])
    assert first is not None

    async def renewed():
        return await in_thread(connection_expiry, bob.pk, b.hello["connection"]) > first

    await async_wait_until(renewed, "the heartbeat to push the entry's expiry on")
    a = await connect(alice)
    assert a.presence == {"type": "presence", "users": {str(bob.pk): "online"}}


# --- the two backends, one contract ---


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.services)])
def backend(request):
    if request.param == "memory":
        return presence.MemoryPresence()
    require_service("redis")
    store = presence.RedisPresence(django_settings.REDIS_URL)
    store.PREFIX = f"test:{uuid.uuid4().hex}:"
    store.users_key = f"{store.PREFIX}users"
    return store


def test_status_is_online_if_any_connection_is_away_if_all_are_and_offline_without(backend):
    assert backend.touch(1, "phone", "online", 60) == ("online", True)
    assert backend.touch(1, "laptop", "away", 60) == ("online", False)
    assert backend.touch(1, "phone", "away", 60) == ("away", True)
    assert backend.touch(1, "phone", None, 60) == ("away", False)  # a heartbeat keeps the status
    assert backend.statuses([1, 2]) == {1: "away"}
    assert backend.leave(1, "phone") == ("away", False)
    assert backend.leave(1, "laptop") == ("offline", True)
    assert backend.statuses([1]) == {}


def test_connections_lapse_without_heartbeats_and_the_sweep_removes_them(backend):
    backend.touch(1, "dead", "online", 0.2)
    backend.touch(2, "alive", "online", 60)
    time.sleep(0.3)
    removed, changes = backend.sweep()
    assert removed == 1 and changes == {1: "offline"}
    assert backend.statuses([1, 2]) == {2: "online"}
    assert backend.sweep() == (0, {})


def test_typing_repeats_sooner_than_the_interval_are_refused(backend):
    assert backend.typing_allowed("c1", 1, 0.2) is True
    assert backend.typing_allowed("c1", 1, 0.2) is False
    assert backend.typing_allowed("c1", 2, 0.2) is True  # per user
    assert backend.typing_allowed("c2", 1, 0.2) is True  # per conversation
    time.sleep(0.25)
    assert backend.typing_allowed("c1", 1, 0.2) is True


@pytest.mark.django_db(transaction=True)
async def test_reading_sending_and_typing_on_a_socket_mark_the_conversation_as_looked_at(alice, bob, group):
    other = uuid.uuid4()
    assert await in_thread(presence.conversation_seen_at, bob.pk, group.id) is None
    b = await connect(bob)
    before = time.time()
    ack = await b.request({"type": "read", "conversation_id": str(group.id), "seq": 1})
    assert ack["type"] == "ack", ack
    seen = await in_thread(presence.conversation_seen_at, bob.pk, group.id)
    assert seen is not None and seen >= before - 1
    assert await in_thread(presence.conversation_seen_at, alice.pk, group.id) is None  # only bob looked
    assert await in_thread(presence.conversation_seen_at, bob.pk, other) is None
    a = await connect(alice)
    await a.request({"type": "typing", "conversation_id": str(group.id)})
    assert await in_thread(presence.conversation_seen_at, alice.pk, group.id) is not None
