"""What a hostile or unlucky client cannot do to a socket: silence it, get frames before hello,
or be sent one event twice."""

import pytest

from gateway.protocol import Close
from testkit.factories import send
from testkit.sockets import connect, in_thread, open_socket, token_for

pytestmark = pytest.mark.django_db(transaction=True)


async def test_a_request_id_beyond_64_bits_is_refused_and_the_socket_keeps_answering(alice):
    client = await connect(alice)
    await client.send({"type": "ping", "id": 2**64})
    refused = await client.wait_for(lambda f: f["type"] == "error")
    assert refused["error"]["code"] == "invalid" and refused["id"] is None
    assert (await client.request({"type": "ping"}))["type"] == "pong"


async def test_a_resume_that_arrives_after_the_grace_never_repeats_what_went_live(settings, alice, bob, group):
    """The grace started bob's conversations live, so the pushes of 3 messages reached him; his
    resume from before them, late, must not send them again."""
    settings.WS_RESUME_GRACE = 0
    first = await in_thread(send, alice, group, "before")
    token = await token_for(bob)
    b = await open_socket(subprotocols=["chatsite.v1", f"token.{token}"])
    assert (await b.recv())["type"] == "hello"
    for i in range(3):
        await in_thread(send, alice, group, f"live {i}")
    live = await b.events(group.id, 3)
    assert [f["message"]["text"] for f in live] == ["live 0", "live 1", "live 2"]

    ack = await b.request({"type": "resume", "conversations": {str(group.id): first.seq - 1}})
    assert ack["result"] == {"conversations": {str(group.id): "resync"}}
    told = [f for f in b.backlog if f["type"] == "resync"] or [await b.wait_for(lambda f: f["type"] == "resync")]
    assert told[0] == {
        "type": "resync",
        "conversation_id": str(group.id),
        "seq": live[-1]["seq"],
        "reason": "already_live",
    }
    assert [f for f in await b.quiet() if f.get("seq") and f["type"] != "resync"] == []  # nothing twice


async def test_nothing_reaches_a_socket_before_its_hello(alice, bob, group):
    a = await connect(alice)
    token = await token_for(bob)
    b = await open_socket(subprotocols=["chatsite.v1", f"token.{token}"])
    await a.request({"type": "presence", "status": "away"})
    assert (await b.recv())["type"] == "hello"


async def test_a_frame_that_cannot_be_written_closes_the_socket_with_a_code(alice, monkeypatch):
    from gateway.socket.consumer import ChatConsumer

    client = await connect(alice)

    def unwritable(self, frame):
        raise TypeError("not serializable")

    monkeypatch.setattr(ChatConsumer, "encode", unwritable)
    await client.send({"type": "ping", "id": "x"})
    assert await client.closed() == Close.SERVER_ERROR


async def test_a_deeply_nested_frame_is_refused_and_the_socket_keeps_answering(alice):
    client = await connect(alice)
    await client.send('{"a":' * 1000 + "1" + "}" * 1000)
    refused = await client.wait_for(lambda f: f["type"] == "error")
    assert refused["error"]["code"] == "too_deep"
    await client.send("[" * 5000 + "]" * 5000)
    assert (await client.wait_for(lambda f: f["type"] == "error"))["error"]["code"] == "too_deep"
    assert (await client.request({"type": "ping"}))["type"] == "pong"


async def test_a_backend_outage_answers_unavailable_without_a_traceback(alice, group, monkeypatch, caplog):
    from redis.exceptions import ConnectionError as RedisDown

    from gateway import presence

    client = await connect(alice)

    def down(*args, **kwargs):
        raise RedisDown("connection refused")

    monkeypatch.setattr(presence, "typing_allowed", down)
    answer = await client.request({"type": "typing", "conversation_id": str(group.id)})
    assert answer["error"]["code"] == "unavailable" and answer["retry_after"] == 1
    assert not [r for r in caplog.records if r.levelname == "ERROR" or r.exc_info]
    assert (await client.request({"type": "ping"}))["type"] == "pong"
