"""The learned ranker: trained on the graph's own history (newest friendships held out), stored as
LightGBM's text dump with its hash, used by the batch without ever crossing what the truth forbids."""

import hashlib
import json
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
    x, y, groups = ranker.rows(graph, [(1, 4)], via=10)
    assert x.shape == (len(y), len(features.NAMES))
    assert y.sum() == 2  # 4 among 1's candidates, and 1 among 4's
    assert groups == [2, 2] and sum(groups) == len(y)  # one query per user: 1 (3 and 4), 4 (1 and 3)
    _, y, _ = ranker.rows(graph, [(1, 4)], via=10, negatives=[(1, 4)])
    assert y.sum() == 1  # 1 dismissed (or blocked) 4: a negative, whatever happened later


def test_a_graph_without_history_trains_nothing(tmp_path, make_user):
    make_user("me")
    assert batch.train(path=tmp_path / "r.txt") is None
    assert ranker.load(tmp_path / "r.txt") is None


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
    path = tmp_path / "r.txt"
    meta = batch.train(path=path)
    assert meta["positives"] > 0 and meta["held_out"] > 0
    assert path.with_suffix(".json").exists()
    model = ranker.load(path)
    assert ranker.score(model, np.zeros((3, len(features.NAMES)))).shape == (3,)


def test_an_altered_artefact_is_refused(tmp_path, town):
    path = tmp_path / "r.txt"
    batch.train(path=path)
    path.write_bytes(path.read_bytes() + b"\0")
    with pytest.raises(ranker.ArtefactError):
        ranker.load(path)


def by_adamic_adar():
    """A model that ranks an Adamic-Adar above 0.8 first, whatever the other features say: four
    users' lists of 100 candidates each (enough rows for the trees' leaves, 50 or more)."""
    x = np.zeros((400, len(features.NAMES)))
    x[:, 0] = np.tile(np.linspace(0, 4, 100), 4)
    return ranker.fit(x, x[:, 0] > 0.8, [100] * 4)


def test_personalized_pagerank_is_the_walks_fixed_point_and_prefers_the_nearer():
    graph = features.Graph()
    for a, b in [(1, 2), (2, 3), (3, 4), (4, 5), (2, 6), (6, 3)]:
        graph.befriend(a, b)
    pagerank = features.PageRank(graph)
    ranks = pagerank.of([1, 99])
    assert 99 not in ranks  # no friends: no walk
    scores = dict(zip([2, 3, 4, 5, 6], ranks[1]([2, 3, 4, 5, 6]), strict=True))
    assert scores[2] > scores[3] > scores[4] > scores[5]
    # The mass of all six sums to their number (scaled so), and one more step barely moves it.
    everyone = np.array([*ranks[1]([1]), *scores.values()])
    assert everyone.sum() == pytest.approx(6)
    order = [1, 2, 3, 4, 5, 6]
    start = np.array([6.0, 0, 0, 0, 0, 0])
    walked = np.array([sum(everyone[order.index(f)] / len(graph.friends[f]) for f in graph.friends[n]) for n in order])
    assert (
        np.abs((1 - features.DAMPING) * start + features.DAMPING * walked - everyone).max() < 6 * 0.85**features.STEPS
    )


def test_candidates_carry_their_pagerank_in_blocks_as_alone(monkeypatch):
    graph = features.Graph()
    for a, b in [(1, 2), (2, 3), (3, 4), (4, 5), (5, 1), (2, 5)]:
        graph.befriend(a, b)
    monkeypatch.setattr(features, "BLOCK", 2)  # three users: a block of two, then one
    together = list(features.of_users(graph, [1, 3, 4], via=10))
    column = features.NAMES.index("pagerank")
    for user, candidates, matrix, _ in together:
        alone_candidates, alone, _ = features.of_user(graph, user, 10, features.PageRank(graph).of([user])[user])
        assert candidates == alone_candidates and np.allclose(matrix, alone)
        assert (matrix[:, column] > 0).all()


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


def test_a_file_that_is_no_model_is_refused_even_with_its_hash(tmp_path, town):
    path = tmp_path / "r.txt"
    batch.train(path=path)
    forged = b"tree\nversion=v4\nnot a model at all\n"
    path.write_bytes(forged)
    meta = json.loads(path.with_suffix(".json").read_text())
    path.with_suffix(".json").write_text(json.dumps({**meta, "sha256": hashlib.sha256(forged).hexdigest()}))
    with pytest.raises(ranker.ArtefactError):
        ranker.load(path)


class Fixed:
    """A stand-in model that ranks by a fixed function of the features."""

    def __init__(self, rank):
        self.predict = rank


@pytest.fixture
def clustered():
    """300 users in 30 circles of ten, each friends with four in their circle and one outside, and
    a tenth of the friendships held out (never a user's last)."""
    import random

    rng = random.Random(3)
    edges = set()
    for user in range(300):
        circle = user - user % 10
        for friend in rng.sample([circle + i for i in range(10) if circle + i != user], 4):
            edges.add(tuple(sorted((user, friend))))
        edges.add(tuple(sorted((user, rng.randrange(300)))))
    edges = [e for e in sorted(edges) if e[0] != e[1]]
    kept, held = ranker.hold_out_newest(edges, 0.1)
    graph = features.Graph()
    for a, b in kept:
        graph.befriend(a, b)
    return graph, held


def test_a_model_that_ranks_below_the_linear_walk_is_not_promoted(clustered, monkeypatch):
    from graph.backends.base import RankerWeights

    graph, held = clustered
    walk = RankerWeights()
    columns = [features.NAMES.index(n) for n in ranker.LINEAR]
    weights = np.array([getattr(walk, n) for n in ranker.LINEAR])
    monkeypatch.setattr(ranker, "fit", lambda *_: Fixed(lambda m: -(m[:, columns] @ weights)))
    _, report = ranker.train(graph, held, via=walk.via, walk=walk)
    assert report["checked_users"] >= 5 and report["hit@10"] < report["walk_hit@10"]
    assert not report["promoted"]
    monkeypatch.setattr(ranker, "fit", lambda *_: Fixed(lambda m: m[:, columns] @ weights))
    _, report = ranker.train(graph, held, via=walk.via, walk=walk)
    assert report["hit@10"] == report["walk_hit@10"] and report["promoted"]  # as good: promoted


def test_training_refused_by_the_check_leaves_the_stored_model_alone(tmp_path, town, monkeypatch):
    path = tmp_path / "r.txt"
    batch.train(path=path)
    before = path.read_bytes()
    monkeypatch.setattr(ranker, "train", lambda *a, **k: (Fixed(lambda m: np.zeros(len(m))), {"promoted": False}))
    meta = batch.train(path=path)
    assert meta["promoted"] is False and path.read_bytes() == before


def test_the_batch_ranks_by_the_walk_when_the_stored_model_is_refused(tmp_path, town, settings, caplog):
    settings.GRAPH_RANKER_PATH = tmp_path / "r.txt"
    batch.train()
    settings.GRAPH_RANKER_PATH.write_bytes(settings.GRAPH_RANKER_PATH.read_bytes() + b"\0")
    assert batch.compute_for([town[0].id]) == 1
    assert "the stored ranker is refused" in caplog.text
    assert StoredSuggestion.objects.filter(user_id=town[0].id).exists()


def test_above_the_size_limit_pagerank_is_left_at_zero(monkeypatch):
    graph = features.Graph()
    for a, b in [(1, 2), (2, 3), (3, 4)]:
        graph.befriend(a, b)
    monkeypatch.setattr(features, "PAGERANK_MAX_USERS", 3)  # four users with friends
    [(_, candidates, matrix, _)] = features.of_users(graph, [1], via=10)
    assert candidates == [3, 4] and not matrix[:, features.NAMES.index("pagerank")].any()


def test_the_train_command_says_whether_it_stored_the_model(tmp_path, town, settings, monkeypatch):
    import io

    from django.core.management import CommandError, call_command

    settings.GRAPH_RANKER_PATH = tmp_path / "r.txt"
    out = io.StringIO()
    call_command("graph_train_ranker", stdout=out)
    assert "Trained and stored" in out.getvalue() and settings.GRAPH_RANKER_PATH.exists()

    settings.GRAPH_RANKER_PATH = tmp_path / "other.txt"
    refused = {"promoted": False, "hit@10": 0.1, "walk_hit@10": 0.2}
    monkeypatch.setattr(ranker, "train", lambda *a, **k: (Fixed(lambda m: np.zeros(len(m))), refused))
    out = io.StringIO()
    call_command("graph_train_ranker", stdout=out)
    assert "Not stored" in out.getvalue() and "0.100" in out.getvalue()
    assert not settings.GRAPH_RANKER_PATH.exists()

    monkeypatch.setattr(ranker, "train", lambda *a, **k: (None, {"promoted": False}))
    with pytest.raises(CommandError, match="Too little history"):
        call_command("graph_train_ranker", stdout=io.StringIO())
