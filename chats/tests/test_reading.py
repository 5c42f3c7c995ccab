import pytest

from chats import actions
from chats.backends import get_store
from testkit.factories import send

pytestmark = pytest.mark.django_db


def seqs(response):
    assert response.status_code == 200, response.content
    return [m["seq"] for m in response.json()["results"]]


@pytest.fixture
def busy(alice, bob, group):
    """120 messages at seqs 3..122 (1 and 2 are the joins)."""
    for i in range(120):
        send(alice if i % 2 else bob, group, f"message {i}")
    return group


def test_the_default_page_is_the_newest_50_in_order(client_for, alice, busy):
    assert seqs(client_for(alice).get(f"/api/v1/conversations/{busy.id}/messages")) == list(range(73, 123))


def test_before_after_and_around_page_by_seq(client_for, alice, busy):
    api = client_for(alice)
    base = f"/api/v1/conversations/{busy.id}/messages"
    assert seqs(api.get(base, {"before": 73, "limit": 10})) == list(range(63, 73))
    assert seqs(api.get(base, {"after": 100, "limit": 5})) == [101, 102, 103, 104, 105]
    assert seqs(api.get(base, {"around": 50, "limit": 10})) == list(range(45, 55))


def test_page_boundaries(client_for, alice, busy):
    api = client_for(alice)
    base = f"/api/v1/conversations/{busy.id}/messages"
    assert seqs(api.get(base, {"before": 3})) == []
    assert seqs(api.get(base, {"after": 122})) == []
    assert seqs(api.get(base, {"after": 0, "limit": 1})) == [3]
    assert seqs(api.get(base, {"around": 3, "limit": 4})) == [3, 4, 5, 6]
    assert len(seqs(api.get(base, {"limit": 100}))) == 100
    for bad in ({"limit": 0}, {"limit": 101}, {"limit": -1}, {"before": "x"}, {"before": 5, "after": 1}):
        response = api.get(base, bad)
        assert response.status_code == 400, bad
        assert response.json()["error"]["code"] == "invalid"


def test_unread_counts_follow_sends_and_reads(client_for, alice, bob, group):
    api = client_for(bob)

    def unread():
        rows = api.get("/api/v1/conversations").json()["results"]
        return {r["conversation"]["id"]: r["unread_count"] for r in rows}[str(group.id)]

    send(alice, group, "one")
    last = send(alice, group, "two")
    send(bob, group, "my own messages are never unread")
    assert unread() == 2
    assert api.post(f"/api/v1/conversations/{group.id}/read", {"seq": last.seq}, format="json").json() == {
        "last_read_seq": last.seq
    }
    assert unread() == 0
    send(alice, group, "three")
    assert unread() == 1
    # the marker never moves back
    api.post(f"/api/v1/conversations/{group.id}/read", {"seq": 1}, format="json")
    assert unread() == 1


def test_the_list_shows_the_last_message_and_the_dm_peer(client_for, alice, bob, group):
    dm, _ = actions.do_open_direct(alice, bob)
    send(bob, dm, "latest")
    rows = client_for(alice).get("/api/v1/conversations").json()["results"]
    assert rows[0]["conversation"]["id"] == str(dm.id)
    assert rows[0]["last_message"]["text"] == "latest"
    assert rows[0]["peer"]["username"] == "bob"
    assert rows[1]["peer"] is None


def test_each_listed_conversation_says_its_latest_event_seq_where_a_client_resumes(client_for, alice, bob, group):
    quiet = actions.do_create_conversation(bob, kind="group", title="quiet", member_ids=[alice.pk])
    message = send(bob, group, "hello")
    actions.do_react(alice, group.id, message.id, "👍")  # an event after the last message
    rows = {r["conversation"]["id"]: r for r in client_for(alice).get("/api/v1/conversations").json()["results"]}
    store = get_store()
    assert rows[str(group.id)]["seq"] == store.latest_seq(group.id) > rows[str(group.id)]["last_message"]["seq"]
    # No message at all, but the joins are events: a client resuming from 0 would be replayed them.
    assert rows[str(quiet.id)]["last_message"] is None
    assert rows[str(quiet.id)]["seq"] == store.latest_seq(quiet.id) > 0


def test_the_conversation_list_costs_a_fixed_number_of_queries(
    client_for, alice, make_user, django_assert_max_num_queries
):
    api = client_for(alice)

    def grow(n):
        for _ in range(n):
            other = make_user()
            conversation = actions.do_create_conversation(alice, kind="group", title="g", member_ids=[other.pk])
            message = send(other, conversation, "hi")
            actions.do_react(alice, conversation.id, message.id, "👍")
            actions.do_open_direct(alice, other)

    grow(2)
    with django_assert_max_num_queries(8) as small:
        api.get("/api/v1/conversations")
    grow(10)
    with django_assert_max_num_queries(8) as large:
        assert len(api.get("/api/v1/conversations").json()["results"]) == 24
    assert len(large.captured_queries) == len(small.captured_queries)


def test_a_page_of_50_costs_a_fixed_number_of_queries(client_for, alice, bob, group, django_assert_max_num_queries):
    parent = send(alice, group, "root")
    for i in range(60):
        message = send(bob, group, f"reply {i}")
        actions.do_send_message(alice, group.id, text="r", client_id=f"reply-{i}", parent_id=parent.id)
        actions.do_react(alice, group.id, message.id, "👍")
        actions.do_react(bob, group.id, message.id, "🎉")
    with django_assert_max_num_queries(8):
        assert len(client_for(alice).get(f"/api/v1/conversations/{group.id}/messages").json()["results"]) == 50


def test_search_finds_words_only_in_my_conversations(client_for, alice, bob, carol, group):
    send(alice, group, "the purple elephant dances")
    elsewhere = actions.do_create_conversation(carol, kind="group", title="Private")
    send(carol, elsewhere, "another purple elephant")
    public = actions.do_create_conversation(carol, kind="channel", title="Open", is_public=True)
    send(carol, public, "purple elephant in public")
    results = client_for(bob).get("/api/v1/search", {"q": "purple elephant"}).json()["results"]
    assert [m["text"] for m in results] == ["the purple elephant dances"]
    assert client_for(carol).get("/api/v1/search", {"q": "dances"}).json()["results"] == []


def test_search_skips_deleted_messages(client_for, alice, group):
    message = send(alice, group, "forget this zebra")
    actions.do_delete_message(alice, group.id, message.id)
    assert client_for(alice).get("/api/v1/search", {"q": "zebra"}).json()["results"] == []


def test_search_needs_a_query(client_for, alice):
    response = client_for(alice).get("/api/v1/search", {"q": ""})
    assert response.status_code == 400


def test_events_fill_a_gap_in_order(client_for, alice, group):
    for i in range(5):
        send(alice, group, f"m{i}")
    events = client_for(alice).get(f"/api/v1/conversations/{group.id}/events", {"after": 4, "limit": 2}).json()
    assert [e["seq"] for e in events["results"]] == [5, 6]
    assert events["results"][0]["message"]["text"] == "m2"


@pytest.mark.django_db(transaction=True)
def test_a_socket_resuming_where_the_log_ends_reads_nothing_more_than_the_latest_seq(monkeypatch, alice, busy):
    from asgiref.sync import async_to_sync

    from chats import selectors

    latest = get_store().latest_seq(busy.id)

    def no_read(*args, **kwargs):
        raise AssertionError("a caught-up resume read the conversation")

    monkeypatch.setattr(selectors, "conversation_for", no_read)
    monkeypatch.setattr(type(get_store()), "aevents_after", no_read)
    assert async_to_sync(selectors.areplay_page)(alice, busy.id, latest, 200, set(), bound=1000) == ([], None)
    # One behind: the event is read, after the access check.
    monkeypatch.undo()
    events, resync = async_to_sync(selectors.areplay_page)(alice, busy.id, latest - 1, 200, set(), bound=1000)
    assert resync is None and [e.seq for e in events] == [latest]
