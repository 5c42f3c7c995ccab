"""The learned ranker of people you may know, trained on the graph's own history.

Training (`manage.py graph_train_ranker`, and the nightly task before its batch): the newest
GRAPH_RANKER_HOLD_OUT share of friendships is taken out of the graph (never a user's last one);
for users who lost one, every candidate the walk reaches on the remaining graph is a row of
graph.features, labelled 1 if it is a friendship taken out, else 0 (sampled: all positives, up to
NEGATIVES per user). Dismissed and blocked pairs are rows labelled 0 whatever else they are. The
model, a gradient-boosted tree ensemble (scikit-learn HistGradientBoostingClassifier), learns
from those rows only; its artefact is written with skops (never pickle) to GRAPH_RANKER_PATH, with
its metadata beside it. No artefact: the batch ranks by the adapter's linear model.
"""

import hashlib
import json
import random
from collections import defaultdict
from pathlib import Path

import numpy as np
import skops.io as sio
from django.conf import settings
from django.utils import timezone

from graph import features

NEGATIVES = 100
USERS = 2_000
SEED = 25
# skops trusts scikit-learn's estimators but not the trees' own predictor type: this one only.
TRUSTED = ["sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor"]


class ArtefactError(Exception):
    """The artefact holds a type we don't trust, or its hash differs from its metadata's."""


def hold_out_newest(edges, share):
    """(kept edges, held-out edges) from (a, b) pairs oldest first: the newest `share`, never a
    user's last friendship."""
    degree = defaultdict(int)
    for a, b in edges:
        degree[a] += 1
        degree[b] += 1
    held, limit = [], int(len(edges) * share)
    for a, b in reversed(edges):
        if len(held) >= limit:
            break
        if degree[a] > 1 and degree[b] > 1:
            held.append((a, b))
            degree[a] -= 1
            degree[b] -= 1
    gone = set(held)
    return [e for e in edges if e not in gone], held


def rows(graph, held, *, via, negatives=(), users=USERS, seed=SEED):
    """(X, y): candidates of up to `users` users who lost a held-out friend, labelled."""
    truth = defaultdict(set)
    for a, b in held:
        truth[a].add(b)
        truth[b].add(a)
    refused = set(negatives)  # (user, candidate) pairs the user dismissed or blocked
    rng = random.Random(seed)  # nosec B311 - sampling training rows, not security
    sample = sorted(truth)
    sample = rng.sample(sample, min(users, len(sample)))
    xs, ys = [], []
    for user in sample:
        candidates, matrix, _ = features.of_user(graph, user, via)
        labels = np.array([c in truth[user] and (user, c) not in refused for c in candidates], bool)
        negative = np.nonzero(~labels)[0]
        sampled = rng.sample(list(negative), min(NEGATIVES, len(negative)))
        keep = np.concatenate([np.nonzero(labels)[0], sampled]).astype(int)
        xs.append(matrix[keep])
        ys.append(labels[keep])
    if not xs:
        return np.zeros((0, len(features.NAMES))), np.zeros(0, bool)
    return np.vstack(xs), np.concatenate(ys)


def fit(x, y):
    """The model, or None when the history has no positive or no negative to learn from."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    if len(set(y.tolist())) < 2:
        return None
    model = HistGradientBoostingClassifier(max_iter=150, learning_rate=0.1, max_leaf_nodes=15, random_state=SEED)
    return model.fit(x, y)


def score(model, matrix):
    """Higher is better: the model's log-odds that the candidate becomes a friend."""
    return model.decision_function(matrix) if len(matrix) else np.zeros(0)


def save(model, metadata, path=None):
    path = Path(path or settings.GRAPH_RANKER_PATH)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = sio.dumps(model)
    temporary = path.with_suffix(".tmp")
    temporary.write_bytes(data)
    temporary.replace(path)
    meta = {**metadata, "features": list(features.NAMES), "sha256": hashlib.sha256(data).hexdigest()}
    path.with_suffix(".json").write_text(json.dumps(meta, indent=2, sort_keys=True))


def load(path=None):
    """The stored model, or None when there is none."""
    path = Path(path or settings.GRAPH_RANKER_PATH)
    try:
        data = path.read_bytes()
        meta = json.loads(path.with_suffix(".json").read_text())
    except FileNotFoundError:
        return None
    if meta.get("sha256") != hashlib.sha256(data).hexdigest() or meta.get("features") != list(features.NAMES):
        raise ArtefactError(f"{path}: altered since it was written, or made for other features")
    untrusted = [t for t in sio.get_untrusted_types(data=data) if t not in TRUSTED]
    if untrusted:
        raise ArtefactError(f"{path}: holds untrusted types {untrusted}")
    return sio.loads(data, trusted=TRUSTED)


def metadata(graph_users, edges, held, y):
    return {
        "trained_at": timezone.now().isoformat(),
        "users": graph_users,
        "friendships": edges,
        "held_out": held,
        "rows": len(y),
        "positives": int(y.sum()),
    }
