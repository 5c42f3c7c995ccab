"""A frame fuzzer: thousands of malformed frames, in batches, over in-process sockets.

Whatever a client sends, the gateway answers with an error frame (or an ack, when the frame
happens to be valid), never crashes (no `server_error`, no logged traceback), and never goes
silent: after every batch a ping is answered. Deterministic: one seeded random.Random.
"""

import json
import logging
import random
import uuid

import pytest

from gateway.protocol import CLIENT_FRAMES
from testkit.sockets import Closed, connect, open_socket, send_message

pytestmark = pytest.mark.django_db(transaction=True)

SEED = 20240514
BATCHES = 22
BATCH_SIZE = 240  # 5,280 frames in all
SOCKETS = 4  # the batches go round these

# Values of every wrong kind, for any field.
WRONG = [
    None,
    True,
    False,
    0,
    -1,
    1.5,
    -0.0,
    2**63 - 1,
    2**63,
    2**64,
    -(2**63) - 1,
    10**30,
    "",
    " ",
    "x" * 65,
    "y" * 5000,
    "not-a-uuid",
    "00000000-0000-0000-0000-000000000000",
    "\x00",
    "a\x1bb",
    "\u202e",
    "\ud800",  # a lone surrogate, as a JSON escape: valid JSON, not encodable text
    "💥" * 40,
    [],
    [1, 2, 3],
    {},
    {"a": {"b": [None]}},
    "NaN",
]
RAW_NUMBERS = ["1e400", "-1e400", "NaN", "Infinity", "-Infinity", "1" * 400, "-0", "0.0000001e-400", "9" * 30]


class Fuzzer:
    def __init__(self, rng, conversation_id, message_id):
        self.rng = rng
        self.ids = {"conversation_id": conversation_id, "message_id": message_id}

    def wrong(self):
        rng = self.rng
        if rng.random() < 0.1:
            return str(uuid.UUID(int=rng.getrandbits(128)))  # well formed, names nothing
        return rng.choice(WRONG)

    def plausible(self, kind):
        """A frame of `kind` with fields that would pass, as a starting point for a mutation."""
        base = {"type": kind, "id": f"f{self.rng.getrandbits(32)}"}
        fields = set(CLIENT_FRAMES[kind]().fields) - {"type", "id"}
        for name in fields:
            if name in self.ids:
                base[name] = self.ids[name]
            elif name == "conversations":
                base[name] = {self.ids["conversation_id"]: self.rng.randint(0, 5)}
            elif name == "seq":
                base[name] = self.rng.randint(0, 5)
            elif name == "status":
                base[name] = self.rng.choice(["online", "away"])
            elif name == "emoji":
                base[name] = self.rng.choice(["👍", "🎉"])
            elif name == "parent_id":
                base[name] = None
            else:
                base[name] = f"fuzz-{self.rng.getrandbits(40)}"
        return base

    def field_mutation(self):
        rng = self.rng
        kind = rng.choice(sorted(CLIENT_FRAMES))
        frame = self.plausible(kind)
        for _ in range(rng.randint(1, 3)):
            action = rng.random()
            keys = sorted(frame)
            if action < 0.6:
                frame[rng.choice(keys)] = self.wrong()
            elif action < 0.75 and len(keys) > 1:
                frame.pop(rng.choice([k for k in keys if k != "type"]))
            elif action < 0.9:
                frame[rng.choice(["extra", "sender_id", "seq", "Type", "", "__proto__"])] = self.wrong()
            else:
                frame["conversations"] = {str(self.wrong()) if rng.random() < 0.5 else "x": self.wrong()}
        return json.dumps(frame)

    def bad_json(self):
        rng = self.rng
        good = json.dumps(self.plausible(rng.choice(sorted(CLIENT_FRAMES))))
        choice = rng.randrange(6)
        if choice == 0:
            return good[: rng.randrange(len(good))]  # truncated
        if choice == 1:
            return good + rng.choice(["}", "]", ",", " x", "\x00"])
        if choice == 2:
            return good.replace('"', "'")
        if choice == 3:
            return "".join(chr(rng.randrange(0x20, 0x250)) for _ in range(rng.randrange(1, 60)))
        if choice == 4:
            return rng.choice(["", " ", "\n", "{", "}", "[", "nul", "tru", '{"type":}', '{"type" "ping"}'])
        position = rng.randrange(len(good))
        return good[:position] + rng.choice(["\\", '"', "\\u12", "\\x41"]) + good[position:]

    def not_an_object(self):
        return json.dumps(self.rng.choice([None, True, 1, -1.5, "ping", [], [{"type": "ping"}], ["ping"]]))

    def unknown_type(self):
        kind = self.rng.choice(["", "PING", "pings", "teleport", " send", "send ", "ack", "hello", "error", "pong"])
        kind = self.rng.choice([kind, self.wrong()])
        return json.dumps({"type": kind, "id": self.rng.choice([1, "u", None, 2**64, -(2**64), "z" * 65, [], 1.0])})

    def deep(self):
        rng = self.rng
        depth = rng.choice([31, 32, 33, 34, 100, 1000, 5000])
        opener, closer = rng.choice([("[", "]"), ('{"a":', "}")])
        value = opener * depth + "1" + closer * depth
        if rng.random() < 0.5:
            return '{"type": "send", "text": ' + value + "}"
        return value

    def raw_number(self):
        value = self.rng.choice(RAW_NUMBERS)
        field = self.rng.choice(['"id"', '"seq"', '"type"'])
        conversation = json.dumps(self.ids["conversation_id"])
        return f'{{"type": "read", "conversation_id": {conversation}, {field}: {value}}}'

    def huge(self):
        rng = self.rng
        size = rng.choice([64 * 1024 - 100, 64 * 1024 + 1, 70_000, 200_000])
        frame = self.plausible(rng.choice(["send", "edit", "react", "ping"]))
        frame[rng.choice(["text", "id", "emoji", "padding"])] = "h" * size
        return json.dumps(frame)

    def frame(self):
        """(text, binary): one malformed frame."""
        roll = self.rng.random()
        if roll < 0.05:
            return None, self.rng.randbytes(self.rng.randrange(0, 300))
        if roll < 0.07:
            return None, b'{"type": "ping", "id": "b"}'  # good JSON in a binary frame
        makers = [
            (0.40, self.field_mutation),
            (0.55, self.bad_json),
            (0.63, self.not_an_object),
            (0.75, self.unknown_type),
            (0.83, self.deep),
            (0.93, self.raw_number),
            (0.95, self.huge),
            (1.00, self.transport_text),
        ]
        pick = self.rng.random()
        return next(make for bound, make in makers if pick < bound)(), None

    def transport_text(self):
        """Text no conforming server passes on (it closes with 1007): lone surrogates in the text
        itself, as a lenient transport would hand them over."""
        return self.rng.choice(['{"type": "ping", "id": "\ud800"}', "\udcff", '{"type": "ping"}\udfff'])


async def send_raw(client, text, binary):
    """One frame as the server hands it to the consumer; empty ones too, which send_to refuses."""
    message = {"type": "websocket.receive"}
    message.update({"text": text} if binary is None else {"bytes": binary})
    await client.transport.communicator.send_input(message)


async def test_thousands_of_malformed_frames_crash_nothing_and_silence_no_socket(settings, caplog, alice, bob, group):
    settings.WS_RATE_PER_SECOND = 1_000_000
    settings.WS_RATE_BURST = 1_000_000
    settings.WS_RATE_STRIKES = 1_000_000  # oversized frames strike too
    settings.MESSAGE_RATE_LIMIT = "1000000/1s"
    caplog.set_level(logging.WARNING)
    rng = random.Random(SEED)
    sockets = [await connect(user) for user in (alice, bob) * (SOCKETS // 2)]
    message = await send_message(sockets[0], group.id, "a target for edits and reactions")
    fuzzer = Fuzzer(rng, str(group.id), message["id"])

    sent = answered = 0
    crashes = []
    for batch in range(BATCHES):
        client = sockets[batch % SOCKETS]
        for _ in range(BATCH_SIZE):
            text, binary = fuzzer.frame()
            await send_raw(client, text, binary)
            sent += 1
        try:
            frames = await client.quiet()  # everything the batch was answered with, then the pong
        except Closed as closed:
            pytest.fail(f"batch {batch} closed its socket with {closed.code}")
        except TimeoutError:
            pytest.fail(f"batch {batch} left its socket silent: no pong")
        answered += len(frames)
        crashes += [f for f in frames if f.get("type") == "error" and f["error"]["code"] == "server_error"]

    logged = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert sent >= 5000
    assert crashes == []
    assert logged == [], [f"{r.name}: {r.getMessage()}" for r in logged[:5]]
    assert answered >= sent * 0.9  # nearly every frame is answered (a few valid ones without id are not)
    for client in sockets:  # every socket still answers
        assert (await client.request({"type": "ping"}))["type"] == "pong"


async def test_malformed_first_frames_close_unauthenticated_sockets_with_4401():
    rng = random.Random(SEED + 1)
    fuzzer = Fuzzer(rng, str(uuid.uuid4()), str(uuid.uuid4()))
    for _ in range(60):
        client = await open_socket(headers=())
        await send_raw(client, *fuzzer.frame())
        assert await client.closed() == 4401


async def test_a_lone_surrogate_is_refused_and_the_socket_keeps_answering(alice):
    """JSON can spell a string that is not text ("\\ud800"); echoed in an answer it could not be
    written, and the socket was closed with 1011 and a logged traceback."""
    client = await connect(alice)
    await client.send('{"type": "ping", "id": "\\ud800"}')
    refused = await client.wait_for(lambda f: f["type"] == "error")
    assert refused["error"]["code"] == "invalid_json"
    await send_raw(client, '{"type": "ping", "id": "\ud800"}', None)  # as a lenient transport would pass it
    assert (await client.wait_for(lambda f: f["type"] == "error"))["error"]["code"] == "invalid_json"
    assert (await client.request({"type": "ping"}))["type"] == "pong"
