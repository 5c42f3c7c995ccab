"""People you may know, computed ahead of the request.

The walk is too slow for the request path once hubs appear. The nightly batch ranks every active
user's candidates and stores the best GRAPH_SUGGESTIONS_STORED of them with their scores;
graph.suggest reads them back and merges what changed since. It ranks with the learned model
(graph.ranker) when one has been trained, over features computed in memory from one read of the
graph (graph.snapshot); without one, with the linear walk of the adapter GRAPH_BACKEND selects
(so on Neo4j that walk runs in Neo4j).
"""

import logging
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from graph import features, ranker, snapshot
from graph.backends import GraphBackend, get_backend
from graph.backends.base import SCORE_DECIMALS
from graph.models import StoredSuggestion, SuggestionRun

logger = logging.getLogger(__name__)

LOAD = object()  # compute_for's default model: the stored artefact, if any


def compute_for(
    user_ids: Iterable[int], *, backend: GraphBackend | None = None, stored: int | None = None, model=LOAD
) -> int:
    """Recompute and store the candidates of these users. Returns how many users were stored."""
    backend = backend or get_backend()
    stored = stored or settings.GRAPH_SUGGESTIONS_STORED
    if model is LOAD:
        try:
            model = ranker.load()
        except ranker.ArtefactError:
            # Altered, or made for other features: the walk ranks until training stores a new one.
            logger.exception("graph batch: the stored ranker is refused; ranking by the linear walk")
            model = None
    if model is None:
        return sum(_walked(user_id, backend, stored) for user_id in user_ids)
    # Read before the snapshot: a friendship made after it is newer, so the request path merges it.
    at = timezone.now()
    graph = snapshot.graph_of(snapshot.friendships_oldest_first())
    refused, active = snapshot.refused_pairs(), snapshot.active_user_ids()
    done = 0
    for user_id, candidates, matrix, mutual in features.of_users(graph, user_ids, backend.weights.via):
        scores = ranker.score(model, matrix)
        order = sorted(range(len(candidates)), key=lambda i: (-round(scores[i], SCORE_DECIMALS), candidates[i]))
        mine = graph.conversations.get(user_id, set())
        rows = [
            _row(
                user_id, candidates[i], scores[i], mutual[i], len(mine & graph.conversations.get(candidates[i], set()))
            )
            for i in order
            if candidates[i] in active and (user_id, candidates[i]) not in refused
        ][:stored]
        done += _store(user_id, rows, at)
    return done


def _walked(user_id, backend, stored):
    # Taken before the walk: a friendship made while it runs is newer, so the request path merges it.
    at = timezone.now()
    ranked = backend.ranked(user_id, stored)
    rows = [_row(user_id, s.user_id, score, s.mutual_friends, s.shared_conversations) for s, score in ranked]
    return _store(user_id, rows, at)


def _row(user_id, candidate, score, mutual, shared):
    return StoredSuggestion(
        user_id=user_id, candidate_id=candidate, score=float(score), mutual_friends=mutual, shared_conversations=shared
    )


def _store(user_id, rows, at):
    try:
        with transaction.atomic():
            StoredSuggestion.objects.filter(user_id=user_id).delete()
            StoredSuggestion.objects.bulk_create(rows)
            SuggestionRun.objects.update_or_create(user_id=user_id, defaults={"computed_at": at})
    except IntegrityError:
        return 0  # the user or a candidate was deleted meanwhile: the next run sees the truth
    return 1


def run(*, backend: GraphBackend | None = None, stored: int | None = None, model=LOAD) -> int:
    """Every active user, in id order. Returns how many users were stored."""
    ids = get_user_model().objects.filter(is_active=True).order_by("pk").values_list("pk", flat=True)
    return compute_for(ids.iterator(chunk_size=2_000), backend=backend, stored=stored, model=model)


def train(*, path=None):
    """Train the ranker on the truth's history and store it if it ranks at least as well as the
    linear walk (graph.ranker.train); returns its report, or None when the graph has too little
    history to learn from. A refused model leaves the artefact in place untouched."""
    walk = get_backend().weights
    edges = snapshot.friendships_oldest_first()
    kept, held = ranker.hold_out_newest(edges, settings.GRAPH_RANKER_HOLD_OUT)
    graph = snapshot.graph_of(kept)
    model, report = ranker.train(graph, held, via=walk.via, walk=walk, negatives=snapshot.refused_pairs())
    if model is None:
        return None
    meta = ranker.metadata(len(graph.friends), len(edges), len(held), report)
    if report["promoted"]:
        ranker.save(model, meta, path)
    return meta
