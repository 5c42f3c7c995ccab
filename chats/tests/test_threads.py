"""Threads over REST: replying, the root's summary, following and thread unreads, events. Every
test runs on each message store (testkit.fixtures.EVERY_STORE_MODULES)."""

import pytest

from chats.actions import do_delete_message, do_invite
from testkit.api import assert_error
from testkit.factories import group_of, send

pytestmark = pytest.mark.django_db


def url(conversation, rest=""):
    return f"/api/v1/conversations/{conversation.id}/{rest}"


def reply(api, conversation, root, text="answer", client_id=None):
    body = {"client_id": client_id or f"r-{text}", "text": text, "thread_root": str(root.id)}
    return api.post(url(conversation, "messages"), body, format="json")


def thread(api, conversation, root, **query):
    return api.get(url(conversation, f"threads/{root.id}"), query)


def test_a_reply_is_a_message_of_the_conversation_in_its_roots_thread(client_for, alice, bob, group):
    root = send(alice, group, "question?")
    sent = reply(client_for(bob), group, root)
    assert sent.status_code == 201
    body = sent.json()
    assert body["thread_root"] == str(root.id) and body["seq"] == root.seq + 1

    answer = thread(client_for(alice), group, root).json()
    assert [m["text"] for m in answer["replies"]] == ["answer"]
    assert answer["root"]["reply_count"] == 1
    assert answer["root"]["last_reply_at"] == body["created_at"]
    page = client_for(alice).get(url(group, "messages")).json()["results"]
    assert [(m["text"], m["reply_count"]) for m in page] == [("question?", 1), ("answer", 0)]


def test_a_retried_reply_counts_once(client_for, bob, alice, group):
    root = send(alice, group, "root")
    api = client_for(bob)
    first, again = reply(api, group, root, client_id="same"), reply(api, group, root, client_id="same")
    assert (first.status_code, again.status_code) == (201, 200)
    assert thread(api, group, root).json()["root"]["reply_count"] == 1


def test_a_deleted_reply_takes_back_its_count_and_its_last_reply_time(client_for, alice, bob, group):
    root = send(alice, group, "root")
    first = send(bob, group, "first", thread_root=root)
    last = send(bob, group, "last", thread_root=root)
    do_delete_message(bob, group.id, last.id)
    summary = thread(client_for(alice), group, root).json()["root"]
    assert summary["reply_count"] == 1
    assert summary["last_reply_at"] == client_for(alice).get(url(group, f"messages/{first.id}")).json()["created_at"]
    do_delete_message(bob, group.id, first.id)
    summary = thread(client_for(alice), group, root).json()["root"]
    assert (summary["reply_count"], summary["last_reply_at"]) == (0, None)


def test_a_reply_to_a_reply_is_refused_with_a_clear_error(client_for, alice, bob, group):
    root = send(alice, group, "root")
    first = send(bob, group, "first", thread_root=root)
    error = assert_error(reply(client_for(alice), group, first), 400, "reply_in_reply")
    assert "thread_root" in error["fields"]
    assert_error(thread(client_for(alice), group, first), 400, "reply_in_reply")


def test_a_root_of_another_conversation_or_none_at_all_is_refused(client_for, alice, bob, carol, group):
    elsewhere = send(carol, group_of(carol, bob), "not yours")
    error = assert_error(reply(client_for(alice), group, elsewhere), 400, "invalid")
    assert "thread_root" in error["fields"]
    bad = {"client_id": "x", "text": "x", "thread_root": "not-a-uuid"}
    assert_error(client_for(alice).post(url(group, "messages"), bad, format="json"), 400)


def test_a_deleted_root_takes_no_more_replies(client_for, alice, group):
    root = send(alice, group, "root")
    do_delete_message(alice, group.id, root.id)
    assert_error(reply(client_for(alice), group, root), 400, "invalid")


def test_only_members_see_or_reply_in_a_thread(client_for, alice, bob, carol, group):
    root = send(alice, group, "root")
    assert_error(thread(client_for(carol), group, root), 404)
    assert_error(reply(client_for(carol), group, root), 404)
    assert_error(client_for(carol).put(url(group, f"threads/{root.id}/follow")), 404)
    assert_error(client_for(carol).post(url(group, f"threads/{root.id}/read"), {"seq": 1}, format="json"), 404)
    assert client_for(carol).get("/api/v1/threads").json()["results"] == []


def test_the_starter_the_repliers_and_the_mentioned_follow_the_thread(client_for, alice, bob, carol, group):
    do_invite(alice, group.id, carol)
    root = send(alice, group, "root")
    send(bob, group, "cc @carol", thread_root=root)
    for user in (alice, bob, carol):
        followed = client_for(user).get("/api/v1/threads").json()["results"]
        assert [t["root"]["id"] for t in followed] == [str(root.id)], user


def test_followed_threads_count_others_unread_replies_until_read(client_for, alice, bob, group):
    root = send(alice, group, "root")
    send(bob, group, "one", thread_root=root)
    last = send(bob, group, "two", thread_root=root)
    api = client_for(alice)
    [followed] = api.get("/api/v1/threads").json()["results"]
    assert (followed["unread_count"], followed["root"]["reply_count"]) == (2, 2)

    marked = api.post(url(group, f"threads/{root.id}/read"), {"seq": last.seq}, format="json")
    assert marked.json() == {"last_read_seq": last.seq}
    assert api.get("/api/v1/threads").json()["results"][0]["unread_count"] == 0
    assert thread(api, group, root).json()["last_read_seq"] == last.seq


def test_replies_do_not_count_as_unread_in_the_conversation(client_for, alice, bob, group):
    root = send(alice, group, "root")
    send(alice, group, "reply", thread_root=root)
    [row] = client_for(bob).get("/api/v1/conversations").json()["results"]
    assert row["unread_count"] == 1


def test_an_unfollow_stands_until_the_user_replies_again(client_for, alice, bob, group):
    root = send(alice, group, "root")
    send(bob, group, "one", thread_root=root)
    api = client_for(alice)
    assert api.delete(url(group, f"threads/{root.id}/follow")).json()["following"] is False
    send(bob, group, "two", thread_root=root)
    assert api.get("/api/v1/threads").json()["results"] == []
    assert thread(api, group, root).json()["following"] is False
    send(alice, group, "back", thread_root=root)
    assert [t["root"]["id"] for t in api.get("/api/v1/threads").json()["results"]] == [str(root.id)]
    assert api.delete(url(group, f"threads/{root.id}/follow")).status_code == 200
    assert api.put(url(group, f"threads/{root.id}/follow")).json()["following"] is True


def test_a_replys_events_carry_the_roots_new_summary_on_replay(client_for, alice, bob, group):
    root = send(alice, group, "root")
    first = send(bob, group, "one", thread_root=root)
    send(bob, group, "two", thread_root=root)
    do_delete_message(bob, group.id, first.id)
    events = client_for(alice).get(url(group, "events"), {"after": root.seq}).json()["results"]
    assert [e["type"] for e in events] == ["message.created", "message.created", "message.deleted"]
    assert all(e["data"]["thread"]["root_id"] == str(root.id) for e in events)
    # Replayed now, each carries the root's summary as it is now: one live reply left.
    assert {e["data"]["thread"]["reply_count"] for e in events} == {1}
    assert {e["message"]["thread_root"] for e in events} == {str(root.id)}


def test_a_thread_page_is_oldest_first_and_pages_back(client_for, alice, bob, group):
    root = send(alice, group, "root")
    replies = [send(bob, group, f"r{i}", thread_root=root) for i in range(4)]
    api = client_for(alice)
    assert [m["text"] for m in thread(api, group, root, limit=2).json()["replies"]] == ["r2", "r3"]
    older = thread(api, group, root, limit=2, before=replies[2].seq).json()["replies"]
    assert [m["text"] for m in older] == ["r0", "r1"]
    assert_error(thread(api, group, root, before=5, after=1), 400)


def test_the_main_logs_page_leaves_replies_out_and_stays_full(client_for, alice, bob, group):
    tops = [send(alice, group, f"t{i}") for i in range(5)]
    replies = [send(bob, group, f"r{i}", thread_root=tops[-1]) for i in range(4)]  # the newest seqs
    api = client_for(alice)
    newest = api.get(url(group, "messages"), {"limit": 3, "top_level": 1}).json()["results"]
    assert [(m["text"], m["reply_count"]) for m in newest] == [("t2", 0), ("t3", 0), ("t4", 4)]
    older = api.get(url(group, "messages"), {"limit": 3, "top_level": "true", "before": tops[2].seq}).json()
    assert [m["text"] for m in older["results"]] == ["t0", "t1"]
    around = api.get(url(group, "messages"), {"limit": 4, "top_level": 1, "around": tops[3].seq}).json()
    assert [m["text"] for m in around["results"]] == ["t1", "t2", "t3", "t4"]
    # Without it the page is the log as it was, replies included; seqs count the replies either way.
    everything = api.get(url(group, "messages"), {"limit": 3}).json()["results"]
    assert [m["text"] for m in everything] == ["r1", "r2", "r3"]
    assert send(alice, group, "t5").seq == replies[-1].seq + 1


def test_a_top_level_flag_that_is_not_a_boolean_is_a_clear_error(client_for, alice, group):
    assert_error(client_for(alice).get(url(group, "messages"), {"top_level": "maybe"}), 400)
