"""A held send over the socket: answered held_for_review, and nobody else gets it, live or on
replay, until a moderator approves it; then it arrives like any message, with the next seq."""

import pytest
from django.contrib.auth.models import Permission

from moderation import actions as moderation
from testkit.ml_data import HELD_TEXT
from testkit.sockets import connect, in_thread, send_message

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def moderator(make_user):
    user = make_user("mod", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="resolve_report"))
    return user


async def test_nobody_sees_a_held_send_until_it_is_approved(holding, alice, bob, group, moderator):
    a, b = await connect(alice), await connect(bob)
    first = await send_message(a, group.id, "hello")
    await b.events(group.id, 1)
    frame = {"type": "send", "conversation_id": str(group.id), "client_id": "w-1", "text": HELD_TEXT}
    answer = await a.request(frame)
    assert answer["type"] == "error" and answer["error"]["code"] == "held_for_review", answer
    assert await b.quiet() == []  # nothing live

    late = await connect(bob, resume={group.id: 0})  # nor on replay
    replayed = await late.events(group.id, first["seq"])  # the group's start, then "hello"
    assert [e["message"]["text"] for e in replayed if e["message"]] == ["hello"]
    assert await late.quiet() == []

    from chats.models import HeldMessage

    held = await in_thread(HeldMessage.objects.get, client_id="w-1")
    await in_thread(moderation.do_review_held, moderator, held.pk, "approve", "fine")
    [arrived] = await b.events(group.id, 1)
    assert arrived["message"]["text"] == HELD_TEXT and arrived["seq"] == first["seq"] + 1
    assert arrived["message"]["sender_id"] == alice.pk
