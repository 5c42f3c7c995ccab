"""The hub (gateway.fanout.hub): group messages reach exactly the sockets of the group, in every process,
with no window between a socket joining and its first message."""

import asyncio
import threading
import time

import pytest

from gateway.fanout import health
from gateway.fanout import hub as fanout
from testkit.services import require_service
from testkit.sockets import HubMember


@pytest.fixture
def redis_hub(settings):
    require_service("redis")
    import os

    settings.REDIS_URL = os.environ["REDIS_URL"]


@pytest.fixture
def no_redis(settings):
    settings.REDIS_URL = ""


def event(seq):
    return {"type": "chat.event", "event": {"conversation_id": "c", "seq": seq, "type": "message.created"}}


async def test_without_redis_a_publish_reaches_every_socket_of_the_group_and_no_other(no_redis):
    hub = fanout.hub()
    a, b, outsider = HubMember(), HubMember(), HubMember()
    await hub.join("conv.1", a)
    await hub.join("conv.1", b)
    await hub.join("conv.2", outsider)

    await fanout.publish("conv.1", event(1))
    await asyncio.sleep(0)
    assert [m["event"]["seq"] for m in a.received] == [1]
    assert [m["event"]["seq"] for m in b.received] == [1]
    assert outsider.received == []


async def test_without_redis_a_publish_from_a_request_thread_arrives_on_the_sockets_loop(no_redis):
    hub = fanout.hub()
    socket = HubMember()
    await hub.join("conv.1", socket)
    thread = threading.Thread(target=fanout.deliver_everywhere, args=("conv.1", event(7)))
    thread.start()
    thread.join()
    assert (await socket.next())["event"]["seq"] == 7


async def test_sockets_of_one_process_share_one_encoding_of_an_event(no_redis):
    hub = fanout.hub()
    a, b = HubMember(), HubMember()
    await hub.join("conv.1", a)
    await hub.join("conv.1", b)
    await fanout.publish("conv.1", event(3))
    await asyncio.sleep(0)
    first, second = a.received[0]["event"], b.received[0]["event"]
    assert isinstance(first, fanout.SharedFrame) and first is second
    assert first.text() is second.text()  # encoded once, by whichever socket wrote first
    assert '"seq":3' in first.text()


async def test_a_socket_that_left_hears_nothing_more(no_redis):
    hub = fanout.hub()
    socket = HubMember()
    await hub.join("conv.1", socket)
    await hub.leave("conv.1", socket)
    await fanout.publish("conv.1", event(1))
    await asyncio.sleep(0)
    assert socket.received == []


@pytest.mark.services
async def test_over_redis_a_message_published_right_after_join_returns_is_delivered(redis_hub):
    hub = fanout.hub()
    socket = HubMember()
    await hub.join("conv.fresh", socket)  # returns once Redis confirmed the subscription
    await fanout.publish("conv.fresh", event(1))
    assert (await socket.next())["event"]["seq"] == 1


@pytest.mark.services
async def test_over_redis_a_leave_racing_a_join_leaves_the_group_subscribed(redis_hub):
    """The last member leaving while a new one joins: the unsubscribe of the first must not
    cancel the subscribe of the second, whatever order the two commands reach Redis in."""
    hub = fanout.hub()
    for round_ in range(20):
        group = f"conv.race{round_}"
        old, new = HubMember(), HubMember()
        await hub.join(group, old)
        await asyncio.gather(hub.leave(group, old), hub.join(group, new))
        await fanout.publish(group, event(round_))
        assert (await new.next())["event"]["seq"] == round_
        assert old.received == []


@pytest.mark.services
async def test_over_redis_the_groups_of_sockets_that_left_leave_nothing_behind(redis_hub):
    """Each user's group is joined once per socket and left for good: the connection must not
    keep a waiting list per channel ever subscribed, or a worker grows with every user it served."""
    hub = fanout.hub()
    for n in range(50):
        socket = HubMember()
        await hub.join(f"user.gone{n}", socket)
        await hub.leave(f"user.gone{n}", socket)
    line = hub.lines.line
    assert dict(line.unconfirmed) == {} and dict(line.leaving) == {}


@pytest.mark.services
async def test_over_redis_deployments_on_different_databases_do_not_hear_each_other(redis_hub, settings):
    hub = fanout.hub()
    socket = HubMember()
    await hub.join("user.1", socket)
    here = settings.REDIS_URL
    settings.REDIS_URL = here.rsplit("/", 1)[0] + "/15" if here.count("/") > 2 else here + "/15"
    await fanout.publish("user.1", event(1))  # the same group name, another database
    settings.REDIS_URL = here
    await fanout.publish("user.1", event(2))
    assert (await socket.next())["event"]["seq"] == 2
    assert [m["event"]["seq"] for m in socket.received] == [2]


@pytest.mark.services
async def test_over_redis_a_join_waits_for_a_late_confirmation_as_long_as_the_watcher_forgives(redis_hub, settings):
    """In a storm the confirmation of a subscription comes late, mostly because the worker's event
    loop is. A socket waits for it as long as the Redis watcher forgives an unanswered Redis
    (health.patience()); a fixed 5 s wait refused sockets that would have started a moment later,
    and their clients came back at once and added to the load."""
    import redis.asyncio as aioredis

    settings.WS_HEALTH_INTERVAL = 2.0
    late = health.READ_TIMEOUT + 1
    assert late < health.patience()
    hub = fanout.hub()
    await hub.join("conv.warm", HubMember())  # the pub/sub connection is open before the pause
    admin = aioredis.Redis.from_url(settings.REDIS_URL)
    # Every client's commands wait until the pause runs out (no UNPAUSE gets through either).
    await admin.client_pause(late * 1000, all=True)
    socket = HubMember()
    started = time.monotonic()
    await hub.join("conv.late", socket)  # raised TimeoutError after 5 s with the fixed wait
    assert time.monotonic() - started >= late - 1  # it did wait for Redis: the pause held the SUBSCRIBE
    await fanout.publish("conv.late", event(1))
    assert (await socket.next())["event"]["seq"] == 1
    await admin.aclose()
