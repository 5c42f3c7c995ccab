"""Real server processes (daphne and uvicorn) on loopback, sharing events through Redis."""

import asyncio

import pytest

from chatsite.testing_server import asgi_server, serving_env
from gateway.protocol import Close
from testkit.factories import send
from testkit.services import require_service, svc
from testkit.sockets import Client, Closed, OverTcp, deadline, in_thread, token_for

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def servers(django_db_setup):
    """{"daphne": ws url, "uvicorn": ws url}, both on the test database and the test Redis."""
    require_service("postgres")
    require_service("redis")
    env = serving_env(WS_HEALTH_INTERVAL="0.3", WS_RESUME_GRACE="0.3")
    with asgi_server(env, "daphne") as daphne, asgi_server(env, "uvicorn") as uvicorn:
        yield {"daphne": daphne.replace("http", "ws", 1), "uvicorn": uvicorn.replace("http", "ws", 1)}


async def open_tcp(base, token=None, origin=None, path="/ws/v1/"):
    from websockets.asyncio.client import connect

    subprotocols = ["chatsite.v1", f"token.{token}"] if token else None
    websocket = await connect(
        f"{base}{path}", subprotocols=subprotocols, origin=origin, proxy=None, open_timeout=deadline()
    )
    return Client(OverTcp(websocket))


async def connect_tcp(base, user, resume=None):
    return await (await open_tcp(base, await token_for(user))).start(resume)


async def test_sockets_on_daphne_and_uvicorn_deliver_each_others_events(servers, alice, bob, group):
    a = await connect_tcp(servers["daphne"], alice)
    b = await connect_tcp(servers["uvicorn"], bob)
    frame = {"type": "send", "conversation_id": str(group.id), "text": "from daphne"}
    sent = (await a.request({**frame, "client_id": "d1"}))["result"]["message"]
    [seen] = await b.events(group.id, 1)
    assert seen["seq"] == sent["seq"] and seen["message"]["text"] == "from daphne"

    reply = (await b.request({**frame, "client_id": "u1", "text": "from uvicorn"}))["result"]["message"]
    assert [e["seq"] for e in await a.events(group.id, 2)] == [sent["seq"], reply["seq"]]
    assert [e["seq"] for e in await b.events(group.id, 1)] == [reply["seq"]]  # its own, too
    # and a write from a third process (this one) reaches both
    await in_thread(send, alice, group, "from the test process")
    assert (await a.events(group.id, 1))[0]["seq"] == (await b.events(group.id, 1))[0]["seq"] == reply["seq"] + 1
    await a.disconnect()
    await b.disconnect()


@pytest.mark.parametrize("server", ["daphne", "uvicorn"])
async def test_refusals_carry_their_close_codes_through_real_servers(servers, server, alice):
    bad_origin = await open_tcp(servers[server], await token_for(alice), origin="https://evil.example")
    assert await bad_origin.closed() == Close.FORBIDDEN_ORIGIN
    anonymous = await open_tcp(servers[server])
    await anonymous.send({"type": "ping"})
    assert await anonymous.closed() == Close.UNAUTHENTICATED
    wrong = await open_tcp(servers[server], "f" * 64)
    assert await wrong.closed() == Close.UNAUTHENTICATED


async def reconnect(base, user, resume, attempts=60):
    """What a client does after losing its socket: retry with backoff, then resume."""
    for _ in range(attempts):
        try:
            return await connect_tcp(base, user, resume)
        except (OSError, Closed, AssertionError, TimeoutError):
            await asyncio.sleep(0.25)
        except Exception as exc:  # the handshake itself failed (server side closing early)
            if "ConnectionClosed" not in type(exc).__name__ and "InvalidStatus" not in type(exc).__name__:
                raise
            await asyncio.sleep(0.25)
    raise AssertionError("could not reconnect")


async def test_after_a_redis_restart_clients_reconnect_resume_and_lose_nothing(servers, alice, bob, group):
    a = await connect_tcp(servers["uvicorn"], alice)
    b = await connect_tcp(servers["daphne"], bob)
    for i in range(3):
        await in_thread(send, alice, group, f"before {i}")
    last_a = (await a.events(group.id, 3))[-1]["seq"]
    last_b = (await b.events(group.id, 3))[-1]["seq"]

    try:
        svc("restart", "redis")
        # The servers notice (the layer's data is gone) and close every socket to be resumed.
        assert await a.closed() == Close.SERVER_INTERRUPTED
        assert await b.closed() == Close.SERVER_INTERRUPTED
        for i in range(5):  # committed while the clients are away; the pushes reach nobody
            await in_thread(send, alice, group, f"while away {i}")
    finally:
        svc("start", "redis")

    a = await reconnect(servers["uvicorn"], alice, {group.id: last_a})
    b = await reconnect(servers["daphne"], bob, {group.id: last_b})
    for client, last in ((a, last_a), (b, last_b)):
        missed = await client.events(group.id, 5)
        assert [e["message"]["text"] for e in missed] == [f"while away {i}" for i in range(5)]
        assert [e["seq"] for e in missed] == list(range(last + 1, last + 6))

    # Subscriptions were made again: live events flow across both servers.
    await in_thread(send, bob, group, "after the restart")
    assert (await a.events(group.id, 1))[0]["message"]["text"] == "after the restart"
    assert (await b.events(group.id, 1))[0]["message"]["text"] == "after the restart"
    assert [f for f in await a.quiet() + await b.quiet() if "seq" in f] == []  # nothing twice
    await a.disconnect()
    await b.disconnect()
