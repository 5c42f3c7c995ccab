"""People you may know on the request path: the batch's stored candidates, merged with what changed
since, on each graph adapter (the batch walks the adapter GRAPH_BACKEND selects)."""

import io

import pytest
from django.core.management import call_command

from chats.actions import do_create_conversation
from graph import actions, batch, selectors
from graph.backends import Suggestion
from graph.models import StoredSuggestion, SuggestionRun

pytestmark = pytest.mark.django_db


@pytest.fixture
def users(make_user):
    return {name: make_user(name) for name in ("me", "ann", "ben", "cat", "dan", "eve", "fay", "gus")}


def befriend(a, b):
    actions.do_send_friend_request(a, b)
    actions.do_accept_friend_request(b, a)


def shown(user):
    return [s.suggestion for s in selectors.suggestions(user.id)]


def ids(user):
    return [s.user_id for s in shown(user)]


@pytest.fixture
def circle(users, deliver):
    """me - ann; ann's friends ben, cat (cat also a friend of dan, a friend of me): before the batch."""
    me, ann, ben, cat, dan = (users[n] for n in ("me", "ann", "ben", "cat", "dan"))
    befriend(me, ann)
    befriend(me, dan)
    for other in (ben, cat):
        befriend(other, ann)
    befriend(cat, dan)
    deliver()
    return users


def test_the_batch_stores_the_walks_answer_and_the_request_path_serves_it(backend, circle):
    me = circle["me"]
    live = backend.suggestions(me.id, 10)
    assert live == [Suggestion(circle["cat"].id, 2, 0), Suggestion(circle["ben"].id, 1, 0)]
    assert batch.compute_for([me.id]) == 1
    assert SuggestionRun.objects.filter(user_id=me.id).exists()
    assert list(
        StoredSuggestion.objects.filter(user_id=me.id).order_by("-score").values_list("candidate_id", flat=True)
    ) == [
        circle["cat"].id,
        circle["ben"].id,
    ]
    assert shown(me) == live


def test_a_user_the_batch_never_saw_is_ranked_live(backend, circle):
    me = circle["me"]
    assert not SuggestionRun.objects.exists()
    assert shown(me) == backend.suggestions(me.id, 10)


def test_friends_of_a_friend_made_after_the_batch_are_merged_with_honest_counts(backend, circle, deliver):
    me, eve, fay = circle["me"], circle["eve"], circle["fay"]
    batch.compute_for([me.id])
    befriend(fay, eve)
    befriend(me, eve)  # after the batch: eve's friend fay is new, eve herself is now a friend
    deliver()
    assert fay.id in ids(me)
    assert eve.id not in ids(me)
    assert next(s for s in shown(me) if s.user_id == fay.id).reason == "1 mutual friend"


def test_a_stored_candidate_who_became_a_friend_or_was_asked_is_dropped(backend, circle, deliver):
    me, ben, cat = circle["me"], circle["ben"], circle["cat"]
    batch.compute_for([me.id])
    befriend(me, cat)
    actions.do_send_friend_request(me, ben)
    deliver()
    assert ids(me) == []


def test_reasons_are_recounted_when_shown(backend, circle, deliver):
    me, dan, cat = circle["me"], circle["dan"], circle["cat"]
    batch.compute_for([me.id])
    actions.do_unfriend(me, dan)  # cat had two mutual friends at batch time, now one
    do_create_conversation(me, kind="group", title="g", member_ids=[cat.id])
    deliver()
    assert next(s for s in shown(me) if s.user_id == cat.id).reason == "1 mutual friend · 1 shared conversation"


@pytest.mark.parametrize("stored", [True, False], ids=["stored", "live"])
def test_a_dismissed_suggestion_never_comes_back(backend, circle, deliver, stored):
    me, ben, cat = circle["me"], circle["ben"], circle["cat"]
    if stored:
        batch.compute_for([me.id])
    actions.do_dismiss_suggestion(me, cat)
    assert ids(me) == [ben.id]
    befriend(circle["eve"], cat)
    befriend(me, circle["eve"])  # a fresh path to cat does not bring cat back
    deliver()
    assert cat.id not in ids(me)
    batch.compute_for([me.id])  # nor does the next batch
    assert cat.id not in ids(me)
    assert me.id in ids(cat)  # one-sided: cat still sees me


@pytest.mark.parametrize("stored", [True, False], ids=["stored", "live"])
@pytest.mark.parametrize("who", ["me", "them"])
def test_a_block_either_way_is_never_crossed(backend, circle, deliver, stored, who):
    me, cat = circle["me"], circle["cat"]
    if stored:
        batch.compute_for([me.id, cat.id])
    blocker, blocked = (me, cat) if who == "me" else (cat, me)
    actions.do_block(blocker, blocked)
    deliver()
    assert cat.id not in ids(me)
    assert me.id not in ids(cat)


def test_an_inactive_stored_candidate_is_dropped(backend, circle):
    me, cat = circle["me"], circle["cat"]
    batch.compute_for([me.id])
    cat.is_active = False
    cat.save(update_fields=["is_active"])
    assert ids(me) == [circle["ben"].id]


def test_the_batch_command_stores_every_active_user(backend, circle):
    circle["gus"].is_active = False
    circle["gus"].save(update_fields=["is_active"])
    call_command("graph_suggest_batch", stdout=io.StringIO())
    assert set(SuggestionRun.objects.values_list("user_id", flat=True)) == {
        u.id for name, u in circle.items() if name != "gus"
    }
    assert set(StoredSuggestion.objects.filter(user_id=circle["ben"].id).values_list("candidate_id", flat=True)) == {
        circle["me"].id,
        circle["cat"].id,
        circle["dan"].id,  # three friendships away
    }
