"""The hub on a Redis Cluster (FANOUT_REDIS_CLUSTER_URL): sharded pub/sub, one connection per shard
that carries a local group, and a lost shard closes only the sockets of its groups."""

import asyncio
import uuid

import pytest
import redis
from django.conf import settings
from redis.cluster import RedisCluster, key_slot

from gateway.fanout import health, lines
from gateway.fanout import hub as fanout
from testkit.services import async_wait_until, require_service, wait_until
from testkit.sockets import deadline

pytestmark = pytest.mark.services


class Socket:
    """Stands in for a consumer: the hub calls hub_message, the watch layer_lost."""

    def __init__(self):
        self.received = []
        self.lost = asyncio.Event()

    def hub_message(self, message):
        self.received.append(message["event"]["seq"])

    async def layer_lost(self):
        self.lost.set()


@pytest.fixture
def cluster_hub(settings):
    require_service("redis-cluster")
    settings.FANOUT_REDIS_CLUSTER_URL = settings.REDIS_CLUSTER_URL


def event(seq):
    return {"type": "chat.event", "event": {"conversation_id": "c", "seq": seq, "type": "message.created"}}


async def shard_of(group):
    return (await lines.cluster_client()).get_node_from_key(fanout.channel_prefix() + group)


def node_client(name):
    """A client of one cluster node ("host:port"), for what a test does to that node alone."""
    host, port = name.rsplit(":", 1)
    return redis.Redis(host=host, port=int(port))


async def groups_on_shards(count):
    """`count` fresh conversation groups, each on a different shard: {shard name: group}."""
    found = {}
    for _ in range(200):  # a fresh group lands on a given shard of three one time in three
        group = f"conv.{uuid.uuid4()}"
        found.setdefault((await shard_of(group)).name, group)
        if len(found) == count:
            return found
    pytest.fail(f"200 groups never covered {count} shards: {sorted(found)}")


async def two_groups_on(shard):
    """Two fresh conversation groups in different slots of one shard."""
    by_slot = {}
    for _ in range(200):  # one time in three on the shard; two slots alike are a rare chance
        group = f"conv.{uuid.uuid4()}"
        if (await shard_of(group)).name == shard:
            by_slot.setdefault(key_slot((fanout.channel_prefix() + group).encode()), group)
        if len(by_slot) == 2:
            return list(by_slot.values())
    pytest.fail(f"200 groups never gave two slots of {shard}")


async def test_on_a_cluster_each_shard_carries_its_own_conversations_to_their_sockets(cluster_hub):
    hub = fanout.hub()
    by_shard = await groups_on_shards(3)
    sockets = {name: Socket() for name in by_shard}
    for name, group in by_shard.items():
        await hub.join(group, sockets[name])
    assert set(hub.lines.lines) == set(by_shard)  # one connection per shard, only where a group lives

    for seq in range(1, 21):
        for group in by_shard.values():
            await fanout.publish(group, event(seq))
    for socket in sockets.values():
        await async_wait_until(lambda s=socket: len(s.received) >= 20, "20 events on every shard")
        assert socket.received == list(range(1, 21))  # once each, in order


async def test_on_a_cluster_a_socket_leaving_its_last_group_on_a_shard_is_heard_no_more(cluster_hub):
    hub = fanout.hub()
    group = next(iter((await groups_on_shards(1)).values()))
    socket, witness = Socket(), Socket()
    await hub.join(group, socket)
    await hub.join(group, witness)
    await hub.leave(group, socket)
    await fanout.publish(group, event(1))
    await async_wait_until(lambda: witness.received, "the event at the socket still in the group")
    assert socket.received == []


async def test_on_a_cluster_the_groups_of_sockets_that_left_leave_nothing_behind(cluster_hub):
    hub = fanout.hub()
    for group in (await groups_on_shards(3)).values():
        socket = Socket()
        await hub.join(group, socket)
        await hub.leave(group, socket)
    shard_lines = list(hub.lines.lines.values())
    # An unsubscription is counted until its confirmation comes back, then forgotten.
    await async_wait_until(lambda: not any(line.leaving for line in shard_lines), "every leave confirmed")
    assert [dict(line.unconfirmed) for line in shard_lines] == [{}, {}, {}]


async def test_a_lost_shard_connection_closes_only_the_sockets_of_that_shards_groups(cluster_hub):
    hub = fanout.hub()
    (lost_name, lost_group), (_, kept_group) = list((await groups_on_shards(2)).items())
    hit, spared = Socket(), Socket()
    for socket, group in ((hit, lost_group), (spared, kept_group)):
        await health.watch().join(socket)
        await hub.join(group, socket)

    with node_client(lost_name) as killer:
        assert killer.client_kill_filter(_type="pubsub") >= 1  # as a node restart or network loss would

    await asyncio.wait_for(hit.lost.wait(), deadline())
    assert not spared.lost.is_set()
    await fanout.publish(kept_group, event(1))
    await async_wait_until(lambda: spared.received == [1], "the other shard's event")

    # The closed socket resumes: its group is subscribed afresh, on the shard's new connection.
    again = Socket()
    await hub.join(lost_group, again)
    await fanout.publish(lost_group, event(2))
    await async_wait_until(lambda: again.received == [2], "an event on the shard joined again")
    assert hit.received == []


def node_id(name):
    with node_client(name) as node:
        return node.cluster("myid").decode()


def slot_owner(slot, via):
    """The id of the primary that the node `via` believes owns `slot`."""
    with node_client(via) as node:
        for start, end, primary, *_ in node.execute_command("CLUSTER", "SLOTS"):
            if start <= slot <= end:
                return primary[2].decode()
    return None


def move_slot(slot, to):
    """Give a slot to the primary `to` the way a resharding tool does (no keys to move: channels are
    not keys). The new owner imports it and the old one migrates it first, so that taking it bumps
    the new owner's config epoch: a bare SETSLOT NODE left the new claim at a lower epoch than the
    old one, and gossip still carrying the old claim could give the slot back, each node answering
    MOVED to the other. Returns once every primary names the new owner."""
    ids = {name: node_id(name) for name in [n.name for n in cluster_primaries()]}
    new_id, old_id = ids[to], slot_owner(slot, to)
    old = next(name for name, found in ids.items() if found == old_id)
    if old != to:
        with node_client(to) as new, node_client(old) as previous:
            new.cluster("setslot", slot, "importing", old_id)
            previous.cluster("setslot", slot, "migrating", new_id)
            new.cluster("setslot", slot, "node", new_id)
            previous.cluster("setslot", slot, "node", new_id)
        for name in ids.keys() - {to, old}:
            with node_client(name) as other:
                other.cluster("setslot", slot, "node", new_id)

    def agreed():
        return all(slot_owner(slot, name) == new_id for name in ids)

    wait_until(agreed, f"every primary to give slot {slot} to {to}")


def cluster_primaries():
    client = RedisCluster.from_url(settings.REDIS_CLUSTER_URL)
    try:
        return client.get_primaries()
    finally:
        client.close()


async def test_a_conversation_whose_slot_moves_to_another_shard_closes_its_sockets_and_follows_it(cluster_hub):
    hub = fanout.hub()
    by_shard = await groups_on_shards(2)
    (old_owner, group), (new_owner, _) = list(by_shard.items())
    slot = key_slot((fanout.channel_prefix() + group).encode())
    socket = Socket()
    await health.watch().join(socket)
    await hub.join(group, socket)
    try:
        move_slot(slot, new_owner)  # the old owner drops its subscribers of the slot's channels
        await asyncio.wait_for(socket.lost.wait(), deadline())

        again = Socket()  # the socket resumed: its join reads the slot map again
        await hub.join(group, again)
        assert (await shard_of(group)).name == new_owner
        await fanout.publish(group, event(1))
        await async_wait_until(lambda: again.received == [1], "the event from the slot's new owner")
        assert socket.received == []
    finally:
        move_slot(slot, old_owner)


async def test_a_join_on_a_stale_slot_map_follows_the_moved_reply_to_the_slots_new_owner(cluster_hub):
    hub = fanout.hub()
    (old_owner, group), (new_owner, _) = list((await groups_on_shards(2)).items())
    slot = key_slot((fanout.channel_prefix() + group).encode())
    await lines.cluster_client()  # this process has read the slot map ...
    try:
        move_slot(slot, new_owner)  # ... and is not told of the move: it subscribes where the slot was
        socket = Socket()
        await health.watch().join(socket)
        await hub.join(group, socket)  # MOVED, then subscribed on the new owner: nothing to resume
        assert hub.subscribed[group] is hub.lines.lines[new_owner]
        await fanout.publish(group, event(1))
        await async_wait_until(lambda: socket.received == [1], "the event from the slot's new owner")
        assert not socket.lost.is_set()
    finally:
        move_slot(slot, old_owner)


async def test_a_moved_join_keeps_the_other_conversations_of_the_shard_it_asked(cluster_hub):
    hub = fanout.hub()
    old_owner, new_owner = [node.name for node in cluster_primaries()][:2]
    staying, moving = await two_groups_on(old_owner)
    slot = key_slot((fanout.channel_prefix() + moving).encode())
    neighbour = Socket()
    await health.watch().join(neighbour)
    await hub.join(staying, neighbour)
    try:
        move_slot(slot, new_owner)
        await hub.join(moving, Socket())  # answered MOVED on the line that carries `staying`
        await fanout.publish(staying, event(1))
        await async_wait_until(lambda: neighbour.received == [1], "the event of the group that stayed")
        assert not neighbour.lost.is_set()
        assert hub.subscribed[staying] is hub.lines.lines[old_owner]
    finally:
        move_slot(slot, old_owner)


def test_readiness_counts_the_fanout_cluster_as_critical_and_sees_it_down(cluster_hub, settings):
    from django.apps import apps

    from chatsite import health as readiness

    apps.get_app_config("gateway").ready()
    try:
        assert readiness.configured_probes()["redis_cluster"] == (lines.ping_cluster, True)
        lines.ping_cluster()  # up: no error
        settings.FANOUT_REDIS_CLUSTER_URL = "redis://127.0.0.1:1"  # nothing listens there
        with pytest.raises(Exception, match="connect"):
            lines.ping_cluster()
    finally:
        readiness._app_probes.pop("redis_cluster", None)
