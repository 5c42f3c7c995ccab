"""A profile change (a name, a picture) reaches the open sockets of the people who share a
conversation with that person, and the person's other devices; not the others, nor across a block."""

import pytest

from accounts import actions
from accounts.models import Block
from testkit.sockets import connect, in_thread


def is_profile_of(user):
    return lambda f: f["type"] == "user" and f["user_id"] == user.pk


@pytest.mark.django_db(transaction=True)
async def test_a_name_or_picture_change_is_told_to_co_members_and_own_devices_only(alice, bob, carol, group):
    b, c, other_device = await connect(bob), await connect(carol), await connect(alice)

    await in_thread(actions.do_update_profile, alice, {"display_name": "Alice Liddell"})
    assert await b.wait_for(is_profile_of(alice)) == {"type": "user", "user_id": alice.pk}
    await other_device.wait_for(is_profile_of(alice))

    await in_thread(actions.do_set_avatar, alice, "0123456789abcdef")
    await b.wait_for(is_profile_of(alice))
    assert [f for f in await c.quiet() if f["type"] == "user"] == []  # carol shares nothing with alice


@pytest.mark.django_db(transaction=True)
async def test_a_change_is_told_once_however_many_conversations_are_shared(alice, bob, group):
    from chats import actions as chat_actions

    await in_thread(chat_actions.do_open_direct, alice, bob)
    b = await connect(bob)
    await in_thread(actions.do_update_profile, alice, {"status_text": "on holiday"})
    await b.wait_for(is_profile_of(alice))
    assert [f for f in await b.quiet() if f["type"] == "user"] == []


@pytest.mark.django_db(transaction=True)
async def test_no_profile_hint_crosses_a_block(alice, bob, group):
    await in_thread(Block.objects.create, blocker=bob, blocked=alice)
    b = await connect(bob)
    await in_thread(actions.do_update_profile, alice, {"display_name": "Alice again"})
    assert [f for f in await b.quiet() if f["type"] == "user"] == []
