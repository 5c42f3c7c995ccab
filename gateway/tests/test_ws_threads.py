"""Thread replies over the socket: the send frame takes thread_root, and the reply's live event
carries its root's new summary, on a resume too."""

import pytest

from testkit.factories import send
from testkit.sockets import connect, in_thread, send_message

pytestmark = pytest.mark.django_db(transaction=True)


def reply_frame(conversation, root, text, client_id):
    return {
        "type": "send",
        "conversation_id": str(conversation.id),
        "client_id": client_id,
        "text": text,
        "thread_root": str(root.id),
    }


async def test_a_reply_sent_on_the_socket_arrives_live_with_the_roots_summary(alice, bob, group):
    root = await in_thread(send, alice, group, "root")
    a, b = await connect(alice), await connect(bob)
    answer = await b.request(reply_frame(group, root, "in thread", "t1"))
    assert answer["type"] == "ack", answer
    assert answer["result"]["message"]["thread_root"] == str(root.id)
    [event] = await a.events(group.id, 1)
    assert event["type"] == "message.created" and event["message"]["text"] == "in thread"
    assert event["data"]["thread"]["root_id"] == str(root.id)
    assert event["data"]["thread"]["reply_count"] == 1
    assert event["data"]["thread"]["last_reply_seq"] == event["seq"]


async def test_a_reply_to_a_reply_is_an_error_frame_with_the_field(alice, bob, group):
    root = await in_thread(send, alice, group, "root")
    first = await in_thread(send, bob, group, "first", None, root)
    a = await connect(alice)
    answer = await a.request(reply_frame(group, first, "nested", "t2"))
    assert answer["type"] == "error"
    assert answer["error"]["code"] == "reply_in_reply" and "thread_root" in answer["error"]["fields"]


async def test_a_resumed_socket_replays_the_reply_with_the_roots_summary(alice, bob, group):
    root = await in_thread(send, alice, group, "root")
    await in_thread(send, bob, group, "while away", None, root)
    a = await connect(alice)
    await a.request({"type": "resume", "conversations": {str(group.id): root.seq}})
    [event] = await a.events(group.id, 1)
    assert event["message"]["thread_root"] == str(root.id)
    assert event["data"]["thread"]["reply_count"] == 1
    top = await send_message(a, group.id, "top level")
    assert top["thread_root"] is None and top["reply_count"] == 0
