"""The learned ranker: trained on the graph's own history (newest friendships held out), stored
with skops, used by the batch without ever crossing what the truth forbids."""

from datetime import timedelta

import numpy as np
import pytest
from django.utils import timezone

from graph import actions, batch, features, ranker, selectors
from graph.models import Friendship, StoredSuggestion

pytestmark = pytest.mark.django_db


def test_holding_out_the_newest_never_takes_a_users_last_friendship():
    edges = [(1, 2), (2, 3), (3, 4), (1, 3), (2, 4), (4, 5)]
    kept, held = ranker.hold_out_newest(edges, 0.5)
    assert held == [(2, 4), (1, 3), (3, 4)]  # newest first; (4, 5) would leave 5 alone
    assert kept == [(1, 2), (2, 3), (4, 5)]


def test_training_rows_label_held_out_friends_and_refused_pairs_negative():
    graph = features.Graph()
    for a, b in [(1, 2), (2, 3), (2, 4), (1, 5), (5, 4)]:
        graph.befriend(a, b)
    x, y = ranker.rows(graph, [(1, 4)], via=10)
    assert x.shape == (len(y), len(features.NAMES))
    assert y.sum() == 2  # 4 among 1's candidates, and 1 among 4's
    _, y = ranker.rows(graph, [(1, 4)], via=10, negatives=[(1, 4)])
    assert y.sum() == 1  # 1 dismissed (or blocked) 4: a negative, whatever happened later


def test_a_graph_without_history_trains_nothing(tmp_path, make_user):
    make_user("me")
    assert batch.train(path=tmp_path / "r.skops") is None
    assert ranker.load(tmp_path / "r.skops") is None


@pytest.fixture
def town(make_user):
    """Two friend circles of eight, joined by one friendship, made over a simulated week."""
    people = [make_user(f"u{i}") for i in range(16)]
    start = timezone.now() - timedelta(days=7)
    rows, n = [], 0
    for group in (people[:8], people[8:]):
        for i, a in enumerate(group):
            for b in group[i + 1 : i + 4]:
                n += 1
                at = start + timedelta(minutes=n)
                rows += [Friendship(user=a, friend=b, created_at=at), Friendship(user=b, friend=a, created_at=at)]
    rows += [Friendship(user=people[0], friend=people[8]), Friendship(user=people[8], friend=people[0])]
    Friendship.objects.bulk_create(rows)
    return people


def test_training_stores_a_model_the_batch_loads(tmp_path, town):
    path = tmp_path / "r.skops"
    meta = batch.train(path=path)
    assert meta["positives"] > 0 and meta["held_out"] > 0
    assert path.with_suffix(".json").exists()
    model = ranker.load(path)
    assert ranker.score(model, np.zeros((3, len(features.NAMES)))).shape == (3,)


def test_an_altered_artefact_is_refused(tmp_path, town):
    path = tmp_path / "r.skops"
    batch.train(path=path)
    path.write_bytes(path.read_bytes() + b"\0")
    with pytest.raises(ranker.ArtefactError):
        ranker.load(path)


def by_adamic_adar():
    """A model that scores an Adamic-Adar above 0.8 high, whatever the other features say."""
    x = np.zeros((400, len(features.NAMES)))  # enough rows for the trees' leaves (20 rows or more)
    x[:, 0] = np.linspace(0, 4, 400)
    return ranker.fit(x, x[:, 0] > 0.8)


def test_the_batch_ranks_by_the_model_and_never_stores_what_is_refused(town, make_user):
    me, friend_of_two, dismissed, blocked, followed, gone = (make_user(n) for n in ("me", "a", "b", "c", "d", "e"))
    hub, other = town[0], town[15]  # no friend in common before the test
    for user in (me, dismissed, blocked, followed, gone):
        actions.do_send_friend_request(user, hub)
        actions.do_accept_friend_request(hub, user)
    for friend in (hub, other):
        actions.do_send_friend_request(friend_of_two, friend)
        actions.do_accept_friend_request(friend, friend_of_two)
    actions.do_send_friend_request(me, other)
    actions.do_accept_friend_request(other, me)
    actions.do_dismiss_suggestion(me, dismissed)
    actions.do_block(blocked, me)
    actions.do_follow(me, followed)
    gone.is_active = False
    gone.save(update_fields=["is_active"])

    assert batch.compute_for([me.id], model=by_adamic_adar()) == 1
    stored = set(StoredSuggestion.objects.filter(user_id=me.id).values_list("candidate_id", flat=True))
    assert not stored & {dismissed.id, blocked.id, followed.id, gone.id, hub.id, other.id}
    shown = selectors.suggestions(me.id)
    assert shown[0].user == friend_of_two  # two mutual friends: Adamic-Adar 1/ln 10 + 1/ln 5, the only one above 0.8
    assert shown[0].suggestion.reason == "2 mutual friends"
