import pytest

from chats import actions
from graph.actions import do_block
from testkit.factories import send

pytestmark = pytest.mark.django_db


def test_a_blocked_user_cannot_open_a_dm_with_the_blocker(client_for, alice, bob):
    do_block(alice, bob)
    response = client_for(bob).post("/api/v1/conversations/direct", {"user_id": alice.pk}, format="json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "blocked"


def test_a_block_stops_messages_in_an_existing_dm(client_for, alice, bob):
    dm, _ = actions.do_open_direct(alice, bob)
    do_block(alice, bob)
    response = client_for(bob).post(
        f"/api/v1/conversations/{dm.id}/messages", {"client_id": "x", "text": "hey"}, format="json"
    )
    assert response.status_code == 403


def test_a_blocked_users_messages_are_hidden_from_the_blocker(client_for, alice, bob, carol, group):
    actions.do_invite(alice, group.id, carol)
    send(bob, group, "from bob")
    send(carol, group, "from carol")
    do_block(alice, bob)
    api = client_for(alice)
    page = api.get(f"/api/v1/conversations/{group.id}/messages").json()["results"]
    assert [m["text"] for m in page] == ["from carol"]
    assert api.get("/api/v1/search", {"q": "bob"}).json()["results"] == []
    rows = api.get("/api/v1/conversations").json()["results"]
    assert rows[0]["last_message"]["text"] == "from carol"
    assert rows[0]["unread_count"] == 1
    # others still see them
    assert len(client_for(carol).get(f"/api/v1/conversations/{group.id}/messages").json()["results"]) == 2


def test_replayed_events_of_a_blocked_sender_are_bare_so_no_seq_is_missing(client_for, alice, bob, group):
    message = send(bob, group, "hidden text")
    do_block(alice, bob)
    events = client_for(alice).get(f"/api/v1/conversations/{group.id}/events", {"after": 0}).json()["results"]
    hidden = [e for e in events if e["seq"] == message.seq]
    assert hidden == [{**hidden[0], "type": "hidden", "message": None, "actor_id": None, "data": {}}]
    assert "hidden text" not in str(events)
    assert [e["seq"] for e in events] == list(range(1, message.seq + 1))


@pytest.mark.parametrize("blocker_is_author", [True, False])
def test_no_reaction_or_pin_crosses_a_block_in_a_dm_either_way(client_for, alice, bob, blocker_is_author):
    dm, _ = actions.do_open_direct(alice, bob)
    message = send(alice, dm, "hello")
    blocker, blocked = (alice, bob) if blocker_is_author else (bob, alice)
    do_block(blocker, blocked)
    base = f"/api/v1/conversations/{dm.id}/messages/{message.id}"
    for api in (client_for(bob), client_for(alice)):
        reacted = api.put(f"{base}/reactions/%F0%9F%91%8D")
        pinned = api.put(f"{base}/pin")
        # the blocked side cannot see the blocker's message at all; the rest are refused like a send
        assert reacted.status_code in (403, 404) and pinned.status_code in (403, 404)
    from chats.backends import get_store

    stored = get_store().get(message.id)
    assert stored.reactions == {} and stored.pinned_at is None


def test_a_blocked_user_cannot_read_the_blockers_profile(client_for, alice, bob):
    do_block(alice, bob)
    assert client_for(bob).get(f"/api/v1/users/{alice.pk}").status_code == 404
    assert client_for(alice).get(f"/api/v1/users/{bob.pk}").status_code == 200
