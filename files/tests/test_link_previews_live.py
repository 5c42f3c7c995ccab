"""Link preview cards reach the other side as a message.previewed event, live and on replay."""

import pytest

from chats import actions as chat_actions
from files import tasks
from files.tests.test_link_previews import page


@pytest.mark.django_db(transaction=True)
async def test_the_cards_reach_the_other_side_live_and_on_replay(
    alice, bob, group, pages, store, file_storage, settings
):
    from testkit.sockets import connect, in_thread

    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    pages.html("/live", page(title="Live plums"))
    b = await connect(bob)
    message = await in_thread(
        lambda: chat_actions.do_send_message(alice, group.id, text=pages.url("/live"), client_id="live-1")[0]
    )
    # What a worker does with the task the send queued.
    assert await in_thread(tasks.find_link_previews, str(message.id), message.text) == 1
    created, previewed = await b.events(group.id, 2)
    assert (created["type"], previewed["type"]) == ("message.created", "message.previewed")
    assert previewed["seq"] == message.seq + 1
    assert previewed["message"]["previews"][0]["title"] == "Live plums"
    await b.disconnect()

    again = await connect(bob, resume={str(group.id): message.seq})
    [replayed] = await again.events(group.id, 1)
    assert replayed == previewed
