"""The web role's WebSocket protocol (chatsite.websocket_protocol), served by a real uvicorn in this
process: it speaks WebSocket as uvicorn's own does, and lets the handshake go once it is over."""

import asyncio

import uvicorn
import websockets

from chatsite.serve import server_config
from chatsite.testing_server import free_port
from chatsite.websocket_protocol import WebSocketProtocol
from testkit.services import async_wait_until, deadline


async def shout(scope, receive, send):
    """Accepts with the first subprotocol offered and echoes each text in capitals, and the
    request's User-Agent once asked: what an application reads of the scope after the handshake."""
    assert (await receive())["type"] == "websocket.connect"
    await send({"type": "websocket.accept", "subprotocol": scope["subprotocols"][0]})
    while (message := await receive())["type"] == "websocket.receive":
        if message["text"] == "agent?":
            agent = dict(scope["headers"])[b"user-agent"].decode()
            await send({"type": "websocket.send", "text": agent})
        else:
            await send({"type": "websocket.send", "text": message["text"].upper()})


class Args:
    """The launcher's options, as chatsite.serve parses them."""

    app, host, port, backlog, timeout_graceful_shutdown = shout, "127.0.0.1", free_port(), 128, 1
    forwarded_allow_ips, log_level, access_log = None, "warning", False


async def test_a_socket_on_the_servers_protocol_talks_and_keeps_no_handshake():
    config = server_config(Args)
    config.loop = "asyncio"  # this test's own loop serves
    server = uvicorn.Server(config)
    serving = asyncio.ensure_future(server.serve())
    try:
        await async_wait_until(lambda: server.started, "the server to start")
        url = f"ws://127.0.0.1:{Args.port}/"
        headers = {"User-Agent": "chatsite-test/1"}
        async with websockets.connect(url, subprotocols=["chatsite.v1"], additional_headers=headers) as socket:
            assert socket.subprotocol == "chatsite.v1"
            await socket.send("hello")
            assert await asyncio.wait_for(socket.recv(), deadline()) == "HELLO"
            (protocol,) = server.server_state.connections
            assert isinstance(protocol, WebSocketProtocol)
            assert protocol.request is None and protocol.response is None
            assert "__dict__" not in vars(type(protocol)) and not vars(protocol)  # all in slots
            await socket.send("agent?")
            assert await asyncio.wait_for(socket.recv(), deadline()) == "chatsite-test/1"
    finally:
        server.should_exit = True
        await asyncio.wait_for(serving, deadline())
