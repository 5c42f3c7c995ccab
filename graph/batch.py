"""People you may know, computed ahead of the request.

The walk (graph.backends: `ranked`) is too slow for the request path once hubs appear. The nightly
batch runs it for every active user, on the engine GRAPH_BACKEND selects (so on Neo4j the walk runs
in Neo4j), and stores each user's best GRAPH_SUGGESTIONS_STORED candidates with their scores.
graph.suggest reads them back and merges what changed since.
"""

from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from graph.backends import GraphBackend, get_backend
from graph.models import StoredSuggestion, SuggestionRun


def compute_for(user_ids: Iterable[int], *, backend: GraphBackend | None = None, stored: int | None = None) -> int:
    """Recompute and store the candidates of these users. Returns how many users were stored."""
    backend = backend or get_backend()
    stored = stored or settings.GRAPH_SUGGESTIONS_STORED
    done = 0
    for user_id in user_ids:
        # Taken before the walk: a friendship made while it runs is newer, so the request path merges it.
        started = timezone.now()
        ranked = backend.ranked(user_id, stored)
        rows = [
            StoredSuggestion(
                user_id=user_id,
                candidate_id=s.user_id,
                score=score,
                mutual_friends=s.mutual_friends,
                shared_conversations=s.shared_conversations,
            )
            for s, score in ranked
        ]
        try:
            with transaction.atomic():
                StoredSuggestion.objects.filter(user_id=user_id).delete()
                StoredSuggestion.objects.bulk_create(rows)
                SuggestionRun.objects.update_or_create(user_id=user_id, defaults={"computed_at": started})
        except IntegrityError:
            continue  # the user or a candidate was deleted meanwhile: the next run sees the truth
        done += 1
    return done


def run(*, backend: GraphBackend | None = None, stored: int | None = None) -> int:
    """Every active user, in id order. Returns how many users were stored."""
    ids = get_user_model().objects.filter(is_active=True).order_by("pk").values_list("pk", flat=True)
    return compute_for(ids.iterator(chunk_size=2_000), backend=backend, stored=stored)
