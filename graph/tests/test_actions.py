"""The rules of follows and friendships (graph.actions) and the events they announce."""

import pytest
from django.db import IntegrityError, transaction

from chatsite.api_errors import ApiError
from graph import actions
from graph.models import Follow, FriendRequest, Friendship
from graph.selectors import relation
from streaming.models import OutboxEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def ann(make_user):
    return make_user("ann")


@pytest.fixture
def ben(make_user):
    return make_user("ben")


def events(event_type):
    return [(e.key, e.payload) for e in OutboxEvent.objects.filter(type=event_type).order_by("occurred_at")]


def refused(call):
    with pytest.raises(ApiError) as caught:
        call()
    return caught.value.code, caught.value.status_code


# --- follows ---


def test_following_twice_is_one_follow_and_one_event(ann, ben):
    first, created = actions.do_follow(ann, ben)
    again, created_again = actions.do_follow(ann, ben)
    assert created and not created_again and again.pk == first.pk
    assert events("graph.followed") == [(str(ann.id), {"follower_id": ann.id, "followee_id": ben.id})]


def test_unfollow_reports_whether_there_was_a_follow_and_emits_once(ann, ben):
    actions.do_follow(ann, ben)
    assert actions.do_unfollow(ann, ben) is True
    assert actions.do_unfollow(ann, ben) is False
    assert events("graph.unfollowed") == [(str(ann.id), {"follower_id": ann.id, "followee_id": ben.id})]


def test_you_cannot_follow_yourself(ann):
    assert refused(lambda: actions.do_follow(ann, ann)) == ("cannot_follow_self", 400)
    assert not Follow.objects.exists()


@pytest.mark.parametrize("blocker", ["follower", "followee"])
def test_no_follow_while_either_blocks_the_other(ann, ben, blocker):
    actions.do_block(*((ann, ben) if blocker == "follower" else (ben, ann)))
    assert refused(lambda: actions.do_follow(ann, ben)) == ("blocked", 403)
    assert not Follow.objects.exists()


# --- friend requests ---


def test_a_request_is_pending_until_accepted(ann, ben):
    request, created = actions.do_send_friend_request(ann, ben)
    assert created and isinstance(request, FriendRequest)
    assert relation(ann.id, ben.id).request_sent
    friendship, created = actions.do_accept_friend_request(ben, ann)
    assert created and friendship.user == ben and friendship.friend == ann
    assert not FriendRequest.objects.exists()
    assert Friendship.objects.count() == 2  # one row per direction
    assert events("graph.friend_requested") == [(str(ann.id), {"from_id": ann.id, "to_id": ben.id})]
    low, high = sorted((ann.id, ben.id))
    assert events("graph.friend_accepted") == [(str(low), {"user_ids": [low, high]})]


def test_asking_twice_is_one_request_and_one_event(ann, ben):
    actions.do_send_friend_request(ann, ben)
    _, created = actions.do_send_friend_request(ann, ben)
    assert not created
    assert FriendRequest.objects.count() == 1
    assert len(events("graph.friend_requested")) == 1


def test_asking_someone_who_already_asked_you_makes_you_friends(ann, ben):
    actions.do_send_friend_request(ben, ann)
    friendship, created = actions.do_send_friend_request(ann, ben)
    assert created and isinstance(friendship, Friendship)
    assert relation(ann.id, ben.id).friends
    assert not FriendRequest.objects.exists()


def test_accepting_again_is_a_no_op(ann, ben):
    actions.do_send_friend_request(ann, ben)
    first, _ = actions.do_accept_friend_request(ben, ann)
    again, created = actions.do_accept_friend_request(ben, ann)
    assert not created and again.pk == first.pk
    assert len(events("graph.friend_accepted")) == 1


def test_accepting_without_a_request_is_refused(ann, ben):
    assert refused(lambda: actions.do_accept_friend_request(ben, ann)) == ("no_request", 404)
    actions.do_send_friend_request(ben, ann)  # the other way round is not a request to ben
    assert refused(lambda: actions.do_accept_friend_request(ben, ann)) == ("no_request", 404)


@pytest.mark.parametrize(
    ("close", "reason"),
    [
        (lambda a, b: actions.do_decline_friend_request(b, a), "declined"),
        (actions.do_cancel_friend_request, "cancelled"),
    ],
    ids=["decline", "cancel"],
)
def test_decline_and_cancel_drop_the_request_once(ann, ben, close, reason):
    actions.do_send_friend_request(ann, ben)
    assert close(ann, ben) is True
    assert close(ann, ben) is False
    assert not FriendRequest.objects.exists()
    assert events("graph.friend_request_closed") == [
        (str(ann.id), {"from_id": ann.id, "to_id": ben.id, "reason": reason})
    ]


def test_requests_refused_to_yourself_to_a_friend_and_across_a_block(ann, ben, make_user):
    assert refused(lambda: actions.do_send_friend_request(ann, ann)) == ("cannot_friend_self", 400)
    actions.do_send_friend_request(ann, ben)
    actions.do_accept_friend_request(ben, ann)
    assert refused(lambda: actions.do_send_friend_request(ben, ann)) == ("already_friends", 409)
    cat = make_user("cat")
    actions.do_block(cat, ann)
    assert refused(lambda: actions.do_send_friend_request(ann, cat)) == ("blocked", 403)
    assert refused(lambda: actions.do_send_friend_request(cat, ann)) == ("blocked", 403)


def test_unfriend_removes_both_rows_keeps_follows_and_emits_once(ann, ben):
    actions.do_send_friend_request(ann, ben)
    actions.do_accept_friend_request(ben, ann)
    actions.do_follow(ann, ben)
    assert actions.do_unfriend(ben, ann) is True
    assert actions.do_unfriend(ben, ann) is False
    assert not Friendship.objects.exists()
    assert relation(ann.id, ben.id).follows
    assert len(events("graph.unfriended")) == 1


# --- blocks end everything ---


def test_a_block_ends_follows_friendship_and_requests_with_an_event_for_each(ann, ben, make_user):
    actions.do_send_friend_request(ann, ben)
    actions.do_accept_friend_request(ben, ann)
    actions.do_follow(ann, ben)
    actions.do_follow(ben, ann)
    cat = make_user("cat")
    actions.do_send_friend_request(cat, ann)
    actions.do_block(ann, ben)
    actions.do_block(ann, cat)
    assert not Follow.objects.exists() and not Friendship.objects.exists() and not FriendRequest.objects.exists()
    assert {payload["follower_id"] for _, payload in events("graph.unfollowed")} == {ann.id, ben.id}
    assert len(events("graph.unfriended")) == 1
    assert [payload for _, payload in events("graph.friend_request_closed")] == [
        {"from_id": cat.id, "to_id": ann.id, "reason": "blocked"}
    ]


def test_after_unblocking_the_pair_starts_from_nothing_and_may_connect_again(ann, ben):
    actions.do_follow(ann, ben)
    actions.do_block(ben, ann)
    actions.do_unblock(ben, ann)
    assert not relation(ann.id, ben.id).follows
    actions.do_follow(ann, ben)
    actions.do_send_friend_request(ann, ben)
    assert relation(ann.id, ben.id).follows and relation(ann.id, ben.id).request_sent


def test_blocking_again_changes_nothing_more(ann, ben):
    actions.do_block(ann, ben)
    actions.do_block(ann, ben)
    assert len(events("graph.blocked")) == 1


# --- the database holds the invariants too ---


def test_the_database_refuses_self_edges_and_duplicates(ann, ben):
    for model, fields in (
        (Follow, ("follower", "followee")),
        (FriendRequest, ("from_user", "to_user")),
        (Friendship, ("user", "friend")),
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            model.objects.create(**{fields[0]: ann, fields[1]: ann})
        model.objects.create(**{fields[0]: ann, fields[1]: ben})
        with pytest.raises(IntegrityError), transaction.atomic():
            model.objects.create(**{fields[0]: ann, fields[1]: ben})


def test_edges_go_with_either_user(ann, ben):
    actions.do_follow(ann, ben)
    actions.do_send_friend_request(ben, ann)
    actions.do_accept_friend_request(ann, ben)
    ben.delete()
    assert not Follow.objects.exists() and not Friendship.objects.exists()


def test_do_block_refuses_blocking_oneself_when_called_directly(make_user):
    from chatsite.api_errors import ApiError

    me = make_user()
    with pytest.raises(ApiError) as refused:
        actions.do_block(me, me)
    assert refused.value.code == "cannot_block_self"
