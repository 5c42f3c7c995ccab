"""Bad frames get an error frame and the socket stays up; floods are closed with 4429."""

import asyncio

import pytest

from gateway.protocol import Close
from testkit.sockets import connect

pytestmark = pytest.mark.django_db(transaction=True)


async def assert_still_up(client):
    assert (await client.request({"type": "ping"}))["type"] == "pong"


async def next_error(client):
    frame = await client.wait_for(lambda f: f["type"] == "error")
    assert set(frame["error"]) == {"code", "message", "fields"}
    return frame


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("{not json", "invalid_json"),
        ("   ", "invalid_json"),
        ("[" * 100_000, "too_large"),
        ("[" * 20_000 + "]" * 20_000, "too_deep"),  # nesting that would blow the recursion limit
        ("[]", "invalid"),
        ('"just a string"', "invalid"),
        ("42", "invalid"),
        ("{}", "invalid"),
        ('{"type": 7}', "invalid"),
        ('{"type": "teleport"}', "unknown_type"),
        ('{"type": "send"}', "invalid"),
        ('{"type": "send", "conversation_id": "nope", "client_id": "a", "text": "x"}', "invalid"),
        ('{"type": "read", "conversation_id": "00000000-0000-0000-0000-000000000000", "seq": -1}', "invalid"),
        ('{"type": "read", "conversation_id": "00000000-0000-0000-0000-000000000000", "seq": 1.5}', "invalid"),
        ('{"type": "resume", "conversations": {"not-a-uuid": 1}}', "invalid"),
        ('{"type": "resume", "conversations": []}', "invalid"),
        ('{"type": "presence", "status": "invisible"}', "invalid"),
        ('{"type": "ping", "id": {"nested": true}}', "invalid"),
    ],
)
async def test_a_malformed_frame_gets_an_error_and_the_socket_survives(settings, alice, text, code):
    settings.WS_MAX_FRAME_BYTES = 64 * 1024
    client = await connect(alice)
    await client.send(text)
    assert (await next_error(client))["error"]["code"] == code
    await assert_still_up(client)


async def test_an_unknown_field_is_named(alice, group):
    client = await connect(alice)
    frame = {"type": "send", "conversation_id": str(group.id), "client_id": "a", "text": "x", "sender_id": 1}
    answer = await client.request(frame)
    assert answer["error"]["fields"] == {"sender_id": ["Unknown field."]}


async def test_errors_carry_the_request_id_even_for_invalid_frames(alice):
    client = await connect(alice)
    await client.send({"type": "send", "id": "mine-7"})
    error = await next_error(client)
    assert error["id"] == "mine-7" and error["error"]["code"] == "invalid"
    assert set(error["error"]["fields"]) == {"conversation_id", "client_id", "text"}


async def test_an_oversized_frame_is_refused_and_the_socket_survives(settings, alice, group):
    settings.WS_MAX_FRAME_BYTES = 1000
    client = await connect(alice)
    await client.send({"type": "send", "conversation_id": str(group.id), "client_id": "a", "text": "é" * 600})
    error = await next_error(client)
    assert error["error"]["code"] == "too_large"  # 600 characters, but 1200 bytes
    await assert_still_up(client)


async def test_a_binary_frame_is_refused(alice):
    client = await connect(alice)
    await client.transport.send(binary=b"\x00\x01")
    assert (await next_error(client))["error"]["code"] == "binary_unsupported"
    await assert_still_up(client)


async def test_a_flood_gets_rate_limited_then_closed(settings, alice):
    settings.WS_RATE_PER_SECOND = 1
    settings.WS_RATE_BURST = 3
    settings.WS_RATE_STRIKES = 3
    client = await connect(alice)  # its ping used one token
    for _ in range(10):
        await client.send({"type": "ping"})
    frames = []
    code = None
    try:
        while True:
            frames.append(await client.recv())
    except Exception:
        code = client.close_code
    assert [f["type"] for f in frames] == ["pong", "pong", "error", "error"]
    assert frames[-1]["error"]["code"] == "rate_limited" and frames[-1]["retry_after"] >= 1
    assert code == Close.RATE_LIMITED


async def test_a_client_within_the_rate_is_never_limited(settings, alice):
    settings.WS_RATE_PER_SECOND = 50
    settings.WS_RATE_BURST = 2
    client = await connect(alice)
    for _ in range(20):
        await asyncio.sleep(0.025)  # 40 frames a second
        await assert_still_up(client)
