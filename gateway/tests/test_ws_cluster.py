"""Two gateway processes on a Redis Cluster (sharded pub/sub), each given a different node to start
from: a burst of sends through one reaches the sockets of the other exactly once and in seq order,
for conversations on every shard; a shard that drops its connections costs a resume, nothing more."""

import pytest
import redis
from django.conf import settings
from redis.cluster import RedisCluster

from chatsite.testing_server import asgi_server, serving_env
from gateway.fanout import conversation_group, user_group
from gateway.fanout.hub import channel_prefix
from gateway.protocol import Close
from testkit.factories import group_of, send
from testkit.services import require_service
from testkit.sockets import in_thread

from .test_ws_servers import connect_tcp, reconnect

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

BURST = 25  # sends per conversation, all in flight at once


def cluster_nodes():
    """The cluster's primaries, as "host:port", in port order."""
    client = RedisCluster.from_url(settings.REDIS_CLUSTER_URL)
    try:
        return sorted((node.name for node in client.get_primaries()), key=lambda name: int(name.rsplit(":", 1)[1]))
    finally:
        client.close()


def node_url(name):
    return f"redis://{name}"


def node_client(name):
    host, port = name.rsplit(":", 1)
    return redis.Redis(host=host, port=int(port))


def channel_of(conversation):
    return channel_prefix() + conversation_group(conversation.id)


def shard_of(group):
    """The primary that owns a group's pub/sub channel (its hash slot)."""
    client = RedisCluster.from_url(settings.REDIS_CLUSTER_URL)
    try:
        return client.get_node_from_key(channel_prefix() + group).name
    finally:
        client.close()


@pytest.fixture(scope="module")
def servers(django_db_setup):
    """Two uvicorn processes whose fan-out starts from different cluster nodes; presence and rate
    limits stay on the plain Redis, as in production."""
    require_service("postgres")
    require_service("redis")
    require_service("redis-cluster")
    first, second = cluster_nodes()[:2]
    common = {"WS_RATE_PER_SECOND": "1000", "WS_RATE_BURST": "1000", "WS_RESUME_GRACE": "0.3"}
    with (
        asgi_server(serving_env(FANOUT_REDIS_CLUSTER_URL=node_url(first), **common)) as one,
        asgi_server(serving_env(FANOUT_REDIS_CLUSTER_URL=node_url(second), **common)) as two,
    ):
        yield one.replace("http", "ws", 1), two.replace("http", "ws", 1)


@pytest.fixture(autouse=True)
def cluster_fanout(settings):
    """This process's writes (the test's own sends) publish on the cluster too, as a Celery
    worker's or a REST request's would."""
    settings.FANOUT_REDIS_CLUSTER_URL = settings.REDIS_CLUSTER_URL


@pytest.fixture
def spread(alice, bob):
    """Conversations of alice and bob, one on each shard of the cluster: {shard: conversation}."""
    shards = cluster_nodes()
    found = {}
    for _ in range(200):  # a fresh conversation lands on a given shard of three one time in three
        conversation = group_of(alice, bob)
        found.setdefault(shard_of(conversation_group(conversation.id)), conversation)
        if len(found) == len(shards):
            return found
    pytest.fail(f"200 conversations never covered the shards {shards}: {sorted(found)}")


async def burst(client, conversations, tag):
    """BURST sends to each conversation, all sent before any ack is read -> {conversation id: seqs}."""
    ids = {}
    for i in range(BURST):
        for n, conversation in enumerate(conversations):
            frame_id = f"{tag}-{n}-{i}"
            ids[frame_id] = str(conversation.id)
            frame = {"type": "send", "conversation_id": ids[frame_id], "text": f"{tag} {i}"}
            await client.send({**frame, "id": frame_id, "client_id": frame_id})
    acked = {str(c.id): [] for c in conversations}
    for frame_id, conversation_id in ids.items():
        ack = await client.wait_for(
            lambda f, frame_id=frame_id: f.get("id") == frame_id and f["type"] in ("ack", "error")
        )
        assert ack["type"] == "ack", ack
        acked[conversation_id].append(ack["result"]["message"]["seq"])
    return acked


async def assert_delivered_once_in_order(client, acked):
    for conversation_id, seqs in acked.items():
        events = await client.events(conversation_id, len(seqs))
        assert [e["seq"] for e in events] == sorted(seqs), conversation_id
    assert [f for f in await client.quiet() if "seq" in f] == []  # nothing twice, nothing more


def shard_subscribers(shard, conversation):
    """How many connections the shard's primary has subscribed to the conversation's channel."""
    client = node_client(shard)
    try:
        [(_, count)] = client.pubsub_shardnumsub(channel_of(conversation))
        return count
    finally:
        client.close()


async def test_two_gateway_processes_on_the_cluster_exchange_bursts_on_every_shard_losslessly(
    servers, spread, alice, bob
):
    assert len(spread) == 3  # the conversations' channels live on three different shards
    one, two = servers
    alice_socket = await connect_tcp(one, alice)
    bob_socket = await connect_tcp(two, bob)
    conversations = list(spread.values())
    # Each shard carries its conversation's channel, subscribed by both processes.
    for shard, conversation in spread.items():
        assert await in_thread(shard_subscribers, shard, conversation) == 2, shard

    acked = await burst(alice_socket, conversations, "one")
    await assert_delivered_once_in_order(bob_socket, acked)
    await assert_delivered_once_in_order(alice_socket, acked)  # its own sends, too

    acked = await burst(bob_socket, conversations, "two")
    await assert_delivered_once_in_order(alice_socket, acked)
    await assert_delivered_once_in_order(bob_socket, acked)
    await alice_socket.disconnect()
    await bob_socket.disconnect()


def kill_subscribers(shard):
    """Cut every pub/sub connection of one shard's primary, as its restart or a network loss would."""
    client = node_client(shard)
    try:
        return client.client_kill_filter(_type="pubsub")
    finally:
        client.close()


async def test_a_shard_that_drops_its_subscribers_costs_its_sockets_a_resume_and_no_event(
    servers, spread, alice, bob, carol
):
    one, two = servers
    # Cut a shard that carries neither of carol's groups; alice's and bob's span every shard.
    carols = await in_thread(group_of, alice, carol)
    hers = {await in_thread(shard_of, group) for group in (user_group(carol.pk), conversation_group(carols.id))}
    cut = next(shard for shard in spread if shard not in hers)
    conversations = list(spread.values())
    a = await connect_tcp(one, alice)
    b = await connect_tcp(two, bob)
    c = await connect_tcp(two, carol)
    last = {}
    for conversation in conversations:
        await in_thread(send, alice, conversation, "before")
        last[conversation.id] = (await a.events(conversation.id, 1))[0]["seq"]
        assert (await b.events(conversation.id, 1))[0]["seq"] == last[conversation.id]

    assert await in_thread(kill_subscribers, cut) >= 2  # one connection of each server process
    assert await a.closed() == Close.SERVER_INTERRUPTED
    assert await b.closed() == Close.SERVER_INTERRUPTED
    for conversation in conversations:  # committed while they are away: the pushes reach nobody
        for i in range(3):
            await in_thread(send, alice, conversation, f"while away {i}")

    a = await reconnect(one, alice, last)
    b = await reconnect(two, bob, last)
    for client in (a, b):
        for conversation in conversations:
            missed = await client.events(conversation.id, 3)
            assert [e["message"]["text"] for e in missed] == [f"while away {i}" for i in range(3)]
            assert [e["seq"] for e in missed] == list(range(last[conversation.id] + 1, last[conversation.id] + 4))

    # carol's socket never closed: her conversation's events still reach her, live.
    await in_thread(send, alice, carols, "to carol")
    for client in (c, a):  # alice, its other member, too
        assert (await client.events(carols.id, 1))[0]["message"]["text"] == "to carol"
    # and the cut shard carries live events again, to both processes
    await in_thread(send, bob, spread[cut], "after the cut")
    assert (await a.events(spread[cut].id, 1))[0]["message"]["text"] == "after the cut"
    assert (await b.events(spread[cut].id, 1))[0]["message"]["text"] == "after the cut"
    assert [f for f in await a.quiet() + await b.quiet() if "seq" in f] == []  # nothing twice
    for client in (a, b, c):
        await client.disconnect()
