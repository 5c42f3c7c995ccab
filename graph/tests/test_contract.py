"""One contract for every graph adapter: after the same actions, each must answer the same.

Writes go through graph.actions (the relational truth); `deliver()` then hands the events to the
graph's handlers, which is how a mirror (Neo4j) learns of them. Reads go through the adapter.
"""

import itertools

import pytest

from chats.actions import do_create_conversation, do_leave
from graph import actions
from graph.backends import Relation, Suggestion
from graph.backends.base import MAX_HOPS

pytestmark = pytest.mark.django_db


@pytest.fixture
def users(make_user):
    return {name: make_user(name) for name in ("me", "ann", "ben", "cat", "dan", "eve", "fay", "gus", "hal")}


def befriend(a, b):
    actions.do_send_friend_request(a, b)
    actions.do_accept_friend_request(b, a)


def group_of(*members):
    return do_create_conversation(members[0], kind="group", title="g", member_ids=[u.pk for u in members[1:]])


# --- follows and friend requests ---


def test_a_follow_is_one_way_and_unfollow_removes_it(backend, deliver, users):
    me, ann = users["me"], users["ann"]
    actions.do_follow(me, ann)
    deliver()
    assert backend.relation(me.id, ann.id) == Relation(follows=True)
    assert backend.relation(ann.id, me.id) == Relation(followed_by=True)
    actions.do_unfollow(me, ann)
    deliver()
    assert backend.relation(me.id, ann.id) == Relation()


def test_friend_request_lifecycle_send_accept_unfriend(backend, deliver, users):
    me, ann = users["me"], users["ann"]
    actions.do_send_friend_request(me, ann)
    deliver()
    assert backend.relation(me.id, ann.id) == Relation(request_sent=True)
    assert backend.relation(ann.id, me.id) == Relation(request_received=True)
    actions.do_accept_friend_request(ann, me)
    deliver()
    assert backend.relation(me.id, ann.id) == Relation(friends=True)
    assert backend.relation(ann.id, me.id) == Relation(friends=True)
    actions.do_unfriend(ann, me)
    deliver()
    assert backend.relation(me.id, ann.id) == Relation()


@pytest.mark.parametrize("close", ["decline", "cancel"])
def test_a_declined_or_cancelled_request_leaves_nothing(backend, deliver, users, close):
    me, ann = users["me"], users["ann"]
    actions.do_send_friend_request(me, ann)
    deliver()
    if close == "decline":
        actions.do_decline_friend_request(ann, me)
    else:
        actions.do_cancel_friend_request(me, ann)
    deliver()
    assert backend.relation(me.id, ann.id) == Relation()


def test_crossed_requests_make_friends(backend, deliver, users):
    me, ann = users["me"], users["ann"]
    actions.do_send_friend_request(me, ann)
    actions.do_send_friend_request(ann, me)
    deliver()
    assert backend.relation(me.id, ann.id) == Relation(friends=True)


def test_a_block_ends_follows_friendship_and_requests_both_ways(backend, deliver, users):
    me, ann, ben = users["me"], users["ann"], users["ben"]
    befriend(me, ann)
    actions.do_follow(me, ann)
    actions.do_follow(ann, me)
    actions.do_send_friend_request(ben, me)
    deliver()
    assert backend.relation(me.id, ann.id) == Relation(follows=True, followed_by=True, friends=True)
    actions.do_block(ann, me)
    actions.do_block(me, ben)
    deliver()
    assert backend.relation(me.id, ann.id) == Relation(blocked_by=True)
    assert backend.relation(me.id, ben.id) == Relation(blocks=True)
    actions.do_unblock(ann, me)
    deliver()
    assert backend.relation(me.id, ann.id) == Relation()


def test_nothing_between_strangers_or_with_an_unknown_user(backend, users):
    assert backend.relation(users["me"].id, users["ann"].id) == Relation()
    assert backend.relation(users["me"].id, 987654321) == Relation()


# --- people you may know ---


def test_suggestions_rank_by_mutual_friends_boosted_by_shared_conversations(backend, deliver, users):
    me, ann, ben, cat = users["me"], users["ann"], users["ben"], users["cat"]
    dan, eve, fay, gus = users["dan"], users["eve"], users["fay"], users["gus"]
    for friend in (ann, ben, cat):
        befriend(me, friend)
    for friend in (ann, ben, cat):
        befriend(dan, friend)  # dan: 3 mutual friends
    for friend in (ann, ben):
        befriend(eve, friend)  # eve: 2 mutual friends and a group with me
    befriend(fay, ann)  # fay: 1 mutual friend and two conversations with me
    befriend(gus, ann)  # gus: 1 mutual friend
    group_of(me, eve)
    group_of(me, fay, users["hal"])
    group_of(fay, me)
    deliver()

    assert backend.suggestions(me.id, 10) == [
        Suggestion(dan.id, 3, 0),
        Suggestion(eve.id, 2, 1),
        Suggestion(fay.id, 1, 2),
        Suggestion(gus.id, 1, 0),
    ]
    assert [s.reason for s in backend.suggestions(me.id, 10)] == [
        "3 mutual friends",
        "2 mutual friends · 1 shared conversation",
        "1 mutual friend · 2 shared conversations",
        "1 mutual friend",
    ]
    assert backend.suggestions(me.id, 2) == [Suggestion(dan.id, 3, 0), Suggestion(eve.id, 2, 1)]


def test_leaving_a_conversation_stops_it_counting(backend, deliver, users):
    me, ann, ben = users["me"], users["ann"], users["ben"]
    befriend(me, ann)
    befriend(ann, ben)
    group = group_of(me, ben)
    deliver()
    assert backend.suggestions(me.id, 10) == [Suggestion(ben.id, 1, 1)]
    do_leave(ben, group.id)
    deliver()
    assert backend.suggestions(me.id, 10) == [Suggestion(ben.id, 1, 0)]


def test_equal_scores_come_in_user_id_order(backend, deliver, users):
    me, ann = users["me"], users["ann"]
    befriend(me, ann)
    others = [users[name] for name in ("gus", "eve", "fay")]
    for other in others:
        befriend(other, ann)
    deliver()
    assert [s.user_id for s in backend.suggestions(me.id, 10)] == sorted(o.id for o in others)


def test_suggestions_leave_out_the_connected_the_blocked_and_the_inactive(backend, deliver, users):
    me, hub = users["me"], users["ann"]
    befriend(me, hub)
    candidates = {name: users[name] for name in ("ben", "cat", "dan", "eve", "fay", "gus", "hal")}
    for other in candidates.values():
        befriend(other, hub)
    befriend(me, candidates["ben"])  # already a friend
    actions.do_follow(me, candidates["cat"])  # already followed by me
    actions.do_send_friend_request(me, candidates["dan"])  # my request is pending
    actions.do_send_friend_request(candidates["eve"], me)  # their request is pending
    actions.do_block(me, candidates["fay"])  # I block fay
    actions.do_block(candidates["gus"], me)  # gus blocks me
    actions.do_follow(candidates["hal"], me)  # hal follows me: still a suggestion
    deliver()
    assert [s.user_id for s in backend.suggestions(me.id, 10)] == [candidates["hal"].id]


def test_someone_who_blocked_me_is_not_suggested(backend, deliver, users):
    me, ann, ben = users["me"], users["ann"], users["ben"]
    befriend(me, ann)
    befriend(ben, ann)
    deliver()
    assert [s.user_id for s in backend.suggestions(me.id, 10)] == [ben.id]
    actions.do_block(ben, me)
    deliver()
    assert backend.suggestions(me.id, 10) == []
    assert [s.user_id for s in backend.suggestions(ann.id, 10)] == []  # me and ben stay friends of ann only


def test_an_inactive_user_is_not_suggested(backend, deliver, users):
    me, ann, ben = users["me"], users["ann"], users["ben"]
    befriend(me, ann)
    befriend(ben, ann)
    ben.is_active = False
    ben.save(update_fields=["is_active"])
    from graph.mirror import sync_user

    sync_user(ben.id)  # what the user.deactivated handler does
    deliver()
    assert backend.suggestions(me.id, 10) == []


def test_no_friends_no_suggestions(backend, users):
    assert backend.suggestions(users["me"].id, 10) == []


# --- degrees of separation ---


def chain(users, names):
    for a, b in itertools.pairwise(names):
        befriend(users[a], users[b])


def test_path_between_friends_is_one_hop(backend, deliver, users):
    chain(users, ["me", "ann"])
    deliver()
    assert backend.path(users["me"].id, users["ann"].id) == [users["me"].id, users["ann"].id]


def test_path_up_to_four_hops_and_none_beyond(backend, deliver, users):
    names = ["me", "ann", "ben", "cat", "dan", "eve"]
    chain(users, names)
    deliver()
    ids = [users[name].id for name in names]
    assert MAX_HOPS == 4
    assert backend.path(ids[0], ids[4]) == ids[:5]
    assert backend.path(ids[4], ids[0]) == list(reversed(ids[:5]))
    assert backend.path(ids[0], ids[5]) is None
    assert backend.path(ids[0], ids[3], max_hops=2) is None


def test_path_takes_the_shortest_way(backend, deliver, users):
    chain(users, ["me", "ann", "ben", "cat", "dan"])
    chain(users, ["me", "eve", "dan"])
    deliver()
    assert backend.path(users["me"].id, users["dan"].id) == [users["me"].id, users["eve"].id, users["dan"].id]


def test_no_path_between_strangers_or_after_unfriending(backend, deliver, users):
    me, ann, ben = users["me"], users["ann"], users["ben"]
    chain(users, ["me", "ann", "ben"])
    deliver()
    assert backend.path(me.id, users["cat"].id) is None
    assert backend.path(me.id, ben.id) == [me.id, ann.id, ben.id]
    actions.do_unfriend(ann, ben)
    deliver()
    assert backend.path(me.id, ben.id) is None


def test_follows_are_not_friendships_for_paths(backend, deliver, users):
    actions.do_follow(users["me"], users["ann"])
    actions.do_follow(users["ann"], users["me"])
    deliver()
    assert backend.path(users["me"].id, users["ann"].id) is None


# --- the ranker: walk features, three hops, size-weighted conversations ---


def test_a_mutual_friend_with_few_friends_counts_more_than_a_hub(backend, deliver, users):
    """Adamic-Adar and resource allocation: both candidates have one mutual friend, but ann knows
    everyone and cat knows only me and ben, so ben comes first whatever the user ids."""
    me, ann, ben, cat, dan = users["me"], users["ann"], users["ben"], users["cat"], users["dan"]
    befriend(me, ann)
    befriend(me, cat)
    befriend(ann, dan)
    befriend(cat, ben)
    for name in ("eve", "fay", "gus", "hal"):
        befriend(ann, users[name])
    deliver()
    ranked = backend.suggestions(me.id, 10)
    assert ranked[0] == Suggestion(ben.id, 1, 0)
    assert Suggestion(dan.id, 1, 0) in ranked


def test_people_three_friendships_away_are_suggested_with_an_honest_reason(backend, deliver, users):
    me, ben, cat, dan = users["me"], users["ben"], users["cat"], users["dan"]
    chain(users, ["me", "ann", "ben", "cat", "dan"])
    deliver()
    assert backend.suggestions(me.id, 10) == [Suggestion(ben.id, 1, 0), Suggestion(cat.id, 0, 0)]
    assert [s.reason for s in backend.suggestions(me.id, 10)] == ["1 mutual friend", "3 friendships away"]
    group_of(me, cat)
    deliver()
    assert [s.reason for s in backend.suggestions(me.id, 10)][1] == "3 friendships away · 1 shared conversation"
    assert dan.id not in [s.user_id for s in backend.suggestions(me.id, 10)]  # four away


def test_three_hop_candidates_never_cross_a_block_either_way(backend, deliver, users):
    me, cat, dan = users["me"], users["cat"], users["dan"]
    chain(users, ["me", "ann", "ben", "cat"])
    chain(users, ["ben", "dan"])
    actions.do_block(cat, me)
    actions.do_block(me, dan)
    deliver()
    assert [s.user_id for s in backend.suggestions(me.id, 10)] == [users["ben"].id]


def test_a_small_group_counts_more_than_a_big_channel(backend, deliver, users):
    """Two candidates alike in the graph; the one in a 3-person group with me beats the one in a
    7-person group with me, whatever the user ids."""
    me, ann, ben, cat = users["me"], users["ann"], users["ben"], users["cat"]
    befriend(me, ann)
    befriend(ben, ann)
    befriend(cat, ann)
    small, big = (cat, ben) if cat.id > ben.id else (ben, cat)
    group_of(me, small, users["dan"])
    group_of(me, big, *(users[name] for name in ("eve", "fay", "gus", "hal", "dan")))
    deliver()
    assert backend.suggestions(me.id, 10) == [Suggestion(small.id, 1, 1), Suggestion(big.id, 1, 1)]


def test_adapters_with_other_weights_follow_them(backend, deliver, users):
    """The weights are the adapter's, not hard-wired: counting only the walk's third step, cat (three
    away by two paths) outranks ben (a friend of a friend), who leads with the shipped weights."""
    from dataclasses import replace

    from graph.backends import get_backend
    from graph.backends.base import RankerWeights

    me, ben, cat = users["me"], users["ben"], users["cat"]
    chain(users, ["me", "ann", "ben"])
    chain(users, ["me", "dan", "eve", "cat"])
    chain(users, ["dan", "fay", "cat"])
    deliver()
    assert backend.suggestions(me.id, 1) == [Suggestion(ben.id, 1, 0)]
    adapter = get_backend()
    adapter.weights = replace(RankerWeights(), adamic_adar=0, resource_allocation=0, log_mutual=0, walk3_aa=0)
    assert adapter.suggestions(me.id, 1) == [Suggestion(cat.id, 0, 0)]
