"""The web role's WebSocket protocol (chatsite.websocket_protocol), served by a real uvicorn in this
process: it speaks WebSocket as uvicorn's own does, and lets the handshake go once it is over."""

import asyncio
import contextlib

import pytest
import uvicorn
import websockets
from websockets.client import ClientProtocol
from websockets.uri import parse_uri

from chatsite import websocket_protocol
from chatsite.serve import server_config
from chatsite.testing_server import free_port
from chatsite.websocket_protocol import Flag, Inbox, Pings, WebSocketProtocol
from testkit.services import async_wait_until, deadline


async def shout(scope, receive, send):
    """Accepts with the first subprotocol offered and echoes each text in capitals, and the
    request's User-Agent once asked: what an application reads of the scope after the handshake."""
    assert (await receive())["type"] == "websocket.connect"
    await send({"type": "websocket.accept", "subprotocol": scope["subprotocols"][0]})
    while (message := await receive())["type"] == "websocket.receive":
        if message["text"].startswith("flood "):  # more than the transport buffers, at once
            for n in range(int(message["text"].split()[1])):
                await send({"type": "websocket.send", "text": f"{n:08d}" + "x" * 65_528})
        elif message["text"] == "agent?":
            agent = dict(scope["headers"])[b"user-agent"].decode()
            await send({"type": "websocket.send", "text": agent})
        else:
            await send({"type": "websocket.send", "text": message["text"].upper()})


class Args:
    """The launcher's options, as chatsite.serve parses them."""

    app, host, port, backlog, timeout_graceful_shutdown = shout, "127.0.0.1", free_port(), 128, 1
    forwarded_allow_ips, log_level, access_log = None, "warning", False


@pytest.fixture
async def server():
    async with serving(server_config(Args)) as running:
        yield running


@pytest.fixture
async def pinging_server():
    """Pings every 50 ms, and gives a pong 50 ms."""
    config = server_config(Args)
    config.ws_ping_interval = config.ws_ping_timeout = 0.05
    async with serving(config) as running:
        yield running


@contextlib.asynccontextmanager
async def serving(config):
    config.loop = "asyncio"  # this test's own loop serves
    server = uvicorn.Server(config)
    serving = asyncio.ensure_future(server.serve())
    try:
        await async_wait_until(lambda: server.started, "the server to start")
        yield server
    finally:
        server.should_exit = True
        await asyncio.wait_for(serving, deadline())


async def test_a_socket_on_the_servers_protocol_talks_and_keeps_no_handshake(server):
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


async def test_a_client_that_stops_reading_pauses_the_writer_and_then_gets_every_frame_in_order(server):
    # A client that reads nothing at all (websockets' own client keeps reading into its memory).
    reader, writer, client = await raw_client()
    client.send_text(b"flood 1000")
    writer.write(b"".join(client.data_to_send()))
    (protocol,) = server.server_state.connections
    await async_wait_until(lambda: not protocol.writable.is_set(), "the transport to pause writing")

    received = []
    while len(received) < 1000:
        client.receive_data(await asyncio.wait_for(reader.read(1 << 20), deadline()))
        received += [frame.data[:8].decode() for frame in client.events_received()]
    assert received == [f"{n:08d}" for n in range(1000)]
    await async_wait_until(protocol.writable.is_set, "the writer to resume")
    writer.close()


@pytest.mark.parametrize(
    ("mode", "negotiated", "kept"),
    [
        (
            "message",
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; "
            "server_max_window_bits=12; client_max_window_bits=12",
            False,
        ),
        ("context", "permessage-deflate; server_max_window_bits=12; client_max_window_bits=12", True),
        ("off", None, False),
    ],
)
async def test_compression_is_negotiated_as_the_setting_says(settings, server, mode, negotiated, kept):
    # What every browser offers: permessage-deflate, with client_max_window_bits.
    settings.WS_COMPRESSION = mode
    url = f"ws://127.0.0.1:{Args.port}/"
    async with websockets.connect(url, subprotocols=["chatsite.v1"], compression="deflate") as socket:
        assert socket.response.headers.get("Sec-WebSocket-Extensions") == negotiated
        for text in ["hello " * 50, "hello again " * 50]:
            await socket.send(text)
            assert await asyncio.wait_for(socket.recv(), deadline()) == text.upper()
        (protocol,) = server.server_state.connections
        compressors = [(hasattr(e, "encoder"), hasattr(e, "decoder")) for e in protocol.conn.extensions]
        # Between messages the server keeps its compression contexts only with context takeover.
        assert compressors == ([(kept, kept)] if negotiated else [])


async def raw_client():
    """A client that answers nothing by itself, pings included (websockets' own client answers them)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", Args.port)
    client = ClientProtocol(parse_uri(f"ws://127.0.0.1:{Args.port}/"), subprotocols=["chatsite.v1"])
    client.send_request(client.connect())
    writer.write(b"".join(client.data_to_send()))
    client.receive_data(await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), deadline()))
    assert client.events_received()[0].status_code == 101
    return reader, writer, client


async def test_a_client_that_answers_the_keepalive_pings_stays_open(pinging_server):
    async with websockets.connect(f"ws://127.0.0.1:{Args.port}/", subprotocols=["chatsite.v1"]) as socket:
        (protocol,) = pinging_server.server_state.connections
        await async_wait_until(lambda: protocol.last_ping_rtt > 0, "a ping answered")
        rtt = protocol.last_ping_rtt
        await async_wait_until(lambda: protocol.last_ping_rtt != rtt, "the next ping answered")
        await socket.send("still here")
        assert await asyncio.wait_for(socket.recv(), deadline()) == "STILL HERE"


async def test_a_client_that_does_not_answer_a_ping_is_closed_with_1011(pinging_server):
    reader, writer, client = await raw_client()
    closes = []
    while not closes:
        data = await asyncio.wait_for(reader.read(1 << 16), deadline())
        assert data, "the server ended the connection without a close frame"
        client.receive_data(data)
        closes = [e for e in client.events_received() if e.opcode.name == "CLOSE"]
    assert client.close_rcvd.code == 1011
    writer.close()


async def test_pings_due_together_leave_on_one_timer_and_a_cancelled_one_does_not_leave():
    class Protocol:
        pinged = 0

        def send_keepalive_ping(self):
            self.pinged += 1

    loop = asyncio.get_running_loop()
    pings = Pings(loop)
    sockets = [Protocol() for _ in range(3)]
    tickets = [pings.after(0.01, socket) for socket in sockets]
    tickets[1].cancel()
    await async_wait_until(lambda: pings.timer is None, "the pings to leave")
    assert [s.pinged for s in sockets] == [1, 0, 1]
    assert not pings.queue


async def test_a_ping_that_fails_does_not_hold_back_the_others(caplog):
    class Broken:
        def send_keepalive_ping(self):
            raise ConnectionResetError

    class Fine:
        pinged = False

        def send_keepalive_ping(self):
            self.pinged = True

    pings, fine = Pings(asyncio.get_running_loop()), Fine()
    pings.after(0, Broken())
    pings.after(0, fine)
    await async_wait_until(lambda: fine.pinged, "the second ping")
    assert "a keepalive ping failed" in caplog.text


def test_every_loop_has_its_own_pings():
    first = asyncio.run(_pings_of_this_loop())
    second = asyncio.run(_pings_of_this_loop())
    assert first is not second


async def _pings_of_this_loop():
    assert websocket_protocol.pings() is websocket_protocol.pings()
    return websocket_protocol.pings()


async def test_the_inbox_gives_messages_in_order_and_waits_for_the_next():
    inbox = Inbox()
    inbox.put_nowait(1)
    inbox.put_nowait(2)
    assert not inbox.empty()
    assert [await inbox.get(), await inbox.get()] == [1, 2]
    assert inbox.empty()
    waiting = asyncio.ensure_future(inbox.get())
    await async_wait_until(lambda: inbox.waiter is not None, "the read to wait")
    assert not waiting.done()
    inbox.put_nowait(3)
    assert await asyncio.wait_for(waiting, deadline()) == 3


async def test_a_read_of_the_inbox_cancelled_while_waiting_loses_nothing_that_comes_after():
    inbox = Inbox()
    waiting = asyncio.ensure_future(inbox.get())
    await async_wait_until(lambda: inbox.waiter is not None, "the read to wait")
    waiting.cancel()
    await asyncio.gather(waiting, return_exceptions=True)
    inbox.put_nowait("disconnect")
    assert await asyncio.wait_for(inbox.get(), deadline()) == "disconnect"


async def test_the_flag_holds_its_waiters_while_down_and_lets_them_all_go_when_up():
    flag = Flag()
    flag.set()
    await asyncio.wait_for(flag.wait(), deadline())  # up: at once
    flag.clear()
    assert not flag.is_set()
    waiters = [asyncio.ensure_future(flag.wait()) for _ in range(3)]
    await async_wait_until(lambda: len(flag.waiters or ()) == 3, "the three to wait")
    assert not any(w.done() for w in waiters)
    flag.set()
    await asyncio.wait_for(asyncio.gather(*waiters), deadline())
    assert flag.is_set() and flag.waiters is None
