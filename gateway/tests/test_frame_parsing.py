"""Client frames are validated by one shared instance per frame type (gateway.protocol.parse): each
frame must get the answer a serializer made for it alone gives, and nothing of one frame may reach
the next."""

import uuid

import pytest
from rest_framework import serializers

from gateway.protocol import CLIENT_FRAMES, FrameError, parse

CONVERSATION = str(uuid.uuid4())

FRAMES = [
    {"type": "send", "id": "a1", "conversation_id": CONVERSATION, "client_id": "c-1", "text": "hi"},
    {"type": "send", "conversation_id": CONVERSATION, "client_id": "c-2", "text": "x", "attachment_ids": "no"},
    {"type": "send", "conversation_id": "not-an-id", "client_id": 7, "text": "x", "extra": 1},
    {"type": "send", "id": "a2", "conversation_id": CONVERSATION, "client_id": "c-3", "text": "\u0000"},
    {"type": "resume", "conversations": {CONVERSATION: 4}},
    {"type": "resume", "conversations": {"nope": 4}},
    {"type": "read", "conversation_id": CONVERSATION, "seq": 3},
    {"type": "read", "conversation_id": CONVERSATION, "seq": -1},
    {"type": "typing", "conversation_id": CONVERSATION},
    {"type": "ping", "id": "p-1"},
    {"type": "ping", "id": ["not", "an", "id"]},
]


def answer(frame):
    """parse's outcome as comparable data: the fields, or the refusal."""
    try:
        return parse(frame)
    except FrameError as exc:
        return ("refused", exc.code, exc.fields, exc.request_id)


def alone(frame):
    """The outcome of a serializer made for this one frame."""
    serializer = CLIENT_FRAMES[frame["type"]](data=frame)
    try:
        serializer.is_valid(raise_exception=True)
    except serializers.ValidationError as exc:
        return ("refused", exc.detail)
    data = dict(serializer.validated_data)
    data.pop("type")
    data.pop("id", None)
    return ("taken", data)


def test_each_frame_gets_the_answer_a_serializer_of_its_own_gives():
    assert {f["type"] for f in FRAMES} <= set(CLIENT_FRAMES)
    for frame in FRAMES * 2:  # twice: after every other frame has gone through the same validators
        got, expected = answer(frame), alone(frame)
        if expected[0] == "refused":
            assert got[0] == "refused" and set(got[2]) == set(expected[1]), frame
        else:
            assert got[0] == frame["type"] and got[2] == expected[1], frame


def test_a_refused_frame_leaves_nothing_for_the_next():
    with pytest.raises(FrameError) as refused:
        parse({"type": "send", "id": "bad", "conversation_id": "x", "client_id": "c", "text": "t"})
    assert refused.value.request_id == "bad" and "conversation_id" in refused.value.fields
    kind, request_id, data = parse({"type": "send", "conversation_id": CONVERSATION, "client_id": "c", "text": "t"})
    assert (kind, request_id) == ("send", None)
    assert data == {
        "conversation_id": uuid.UUID(CONVERSATION),
        "client_id": "c",
        "text": "t",
        "parent_id": None,
        "thread_root": None,
        "attachment_ids": [],
    }


def test_defaults_are_fresh_for_every_frame():
    frame = {"type": "send", "conversation_id": CONVERSATION, "client_id": "c", "text": "t"}
    first = parse(frame)[2]
    first["attachment_ids"].append("changed by the first frame's handler")
    assert parse(frame)[2]["attachment_ids"] == []
