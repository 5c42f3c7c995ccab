"""The learned ranker of people you may know, trained on the graph's own history.

Training (`manage.py graph_train_ranker`, and the nightly task before its batch): the newest
GRAPH_RANKER_HOLD_OUT share of friendships is taken out of the graph (never a user's last one);
for users who lost one, every candidate the walk reaches on the remaining graph is a row of
graph.features, labelled 1 if it is a friendship taken out, else 0 (sampled: all positives, up to
NEGATIVES per user). Dismissed and blocked pairs are rows labelled 0 whatever else they are.

The model is a gradient-boosted tree ensemble trained to rank, not to classify: LightGBM's
LambdaRank objective (Burges 2010) with each user's candidates as one query, so it learns what
puts a future friend into the top ten of that user's list rather than a probability over all
pairs. On bench.pymk's graphs, a classifier over the same rows (scikit-learn's
HistGradientBoostingClassifier, which this replaced) ranked below Adamic-Adar on the power-law
graph. The artefact is LightGBM's own text dump of the trees (no pickle, nothing that runs code on
load) at GRAPH_RANKER_PATH, with its metadata and hash beside it. No artefact: the batch ranks by
the adapter's linear model.
"""

import hashlib
import json
import logging
import random
from collections import defaultdict
from pathlib import Path

import numpy as np
from django.conf import settings
from django.utils import timezone

from graph import features

logger = logging.getLogger(__name__)

# Negatives are drawn at random, never picked as the hardest: a list's top is learned from the
# candidates as they come (on bench.pymk, the 50 best by Adamic-Adar as negatives cut hit@10 by a
# third). 300 per user against 100 raised hit@10 on both of its graphs.
NEGATIVES = 300
USERS = 2_000
# Users kept out of training to check the model against the linear walk: at most this many, and at
# most a fifth of those who lost a friend.
CHECK = 500
# The linear walk's features: RankerWeights has a weight of the same name for each.
LINEAR = ("adamic_adar", "resource_allocation", "log_mutual", "walk3_ra", "walk3_aa", "conversations")
SEED = 25
# LambdaRank's gains stop at the list's 20th place: users see ten, and the rest is a margin.
TRUNCATION = 20


class ArtefactError(Exception):
    """The artefact's hash differs from its metadata's, or it is no model of these features."""


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


def lost_friends(held) -> dict:
    """user -> the friends the hold-out took from them."""
    truth = defaultdict(set)
    for a, b in held:
        truth[a].add(b)
        truth[b].add(a)
    return truth


def rows(graph, held, *, via, negatives=(), users=USERS, seed=SEED, among=None):
    """(X, y, groups): candidates of up to `users` users who lost a held-out friend (or of those
    `among` gives), labelled, one user's rows after another; groups holds each user's row count."""
    truth = lost_friends(held)
    refused = set(negatives)  # (user, candidate) pairs the user dismissed or blocked
    rng = random.Random(seed)  # nosec B311 - sampling training rows, not security
    sample = sorted(truth) if among is None else among
    sample = rng.sample(sample, min(users, len(sample)))
    xs, ys, groups = [], [], []
    for user, candidates, matrix, _ in features.of_users(graph, sample, via):
        labels = np.array([c in truth[user] and (user, c) not in refused for c in candidates], bool)
        negative = np.nonzero(~labels)[0]
        sampled = rng.sample(list(negative), min(NEGATIVES, len(negative)))
        keep = np.concatenate([np.nonzero(labels)[0], sampled]).astype(int)
        if len(keep):
            xs.append(matrix[keep])
            ys.append(labels[keep])
            groups.append(len(keep))
    if not xs:
        return np.zeros((0, len(features.NAMES))), np.zeros(0, bool), []
    return np.vstack(xs), np.concatenate(ys), groups


def train(graph, held, *, via, walk, negatives=()):
    """(model or None, report). The model learns from the rows of up to USERS users who lost a
    friend; up to CHECK others are kept out of its training, and on their whole candidate lists
    the model's hit@10 is compared with the linear walk's (`walk`, the adapter's RankerWeights).
    report["promoted"] says whether the model did at least as well: the batch uses no model that
    ranks below the walk it would replace."""
    truth = lost_friends(held)
    rng = random.Random(SEED)  # nosec B311 - choosing whom to check with, not security
    users = sorted(truth)
    rng.shuffle(users)
    checking = users[: min(CHECK, len(users) // 5)]
    x, y, groups = rows(graph, held, via=via, negatives=negatives, among=users[len(checking) :])
    model = fit(x, y, groups)
    report = {"rows": len(y), "positives": int(y.sum()), "checked_users": len(checking)}
    if model is None:
        return None, {**report, "promoted": False}
    refused = set(negatives)
    weights = np.array([getattr(walk, name) for name in LINEAR])
    columns = [features.NAMES.index(name) for name in LINEAR]
    model_hits = walk_hits = 0
    for user, candidates, matrix, _ in features.of_users(graph, checking, via):
        friends = {c for c in truth[user] if (user, c) not in refused}
        model_hits += _hit(candidates, score(model, matrix), friends)
        walk_hits += _hit(candidates, matrix[:, columns] @ weights, friends)
    shown = max(1, len(checking))
    report.update({"hit@10": model_hits / shown, "walk_hit@10": walk_hits / shown})
    return model, {**report, "promoted": model_hits >= walk_hits}


def _hit(candidates, scores, friends) -> bool:
    """Whether a friend is among the ten best, ties broken by id as the batch breaks them."""
    order = sorted(range(len(candidates)), key=lambda i: (-round(float(scores[i]), 9), candidates[i]))
    return any(candidates[i] in friends for i in order[:10])


def fit(x, y, groups):
    """The model (a LightGBM Booster), or None when the history has no positive or no negative to
    learn from."""
    lightgbm = _lightgbm()
    if len(set(y.tolist())) < 2 or lightgbm is None:
        return None
    model = lightgbm.LGBMRanker(
        objective="lambdarank",
        lambdarank_truncation_level=TRUNCATION,
        n_estimators=200,
        learning_rate=0.05,
        num_leaves=15,
        min_child_samples=50,
        random_state=SEED,
        deterministic=True,
        force_row_wise=True,
        n_jobs=1,  # the same trees on every machine, and the batch's CPU stays one core
        verbose=-1,
    )
    return model.fit(x, y.astype(int), group=groups).booster_


def _lightgbm():
    """The lightgbm module, or None where its library cannot load: it needs the system's OpenMP
    runtime (Debian's libgomp1). Then nothing is trained or loaded and the linear walk ranks.
    Imported here, not at the top: the embedded server never loads it."""
    try:
        import lightgbm
    except OSError:
        logger.exception("graph ranker: LightGBM cannot load here; the linear walk ranks instead")
        return None
    return lightgbm


def score(model, matrix):
    """Higher is better: the model's ranking score of each candidate (comparable within a user)."""
    return model.predict(matrix) if len(matrix) else np.zeros(0)


def save(model, metadata, path=None):
    path = Path(path or settings.GRAPH_RANKER_PATH)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = model.model_to_string().encode()
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
    lightgbm = _lightgbm()
    if lightgbm is None:
        return None

    try:
        return lightgbm.Booster(model_str=data.decode())
    except (UnicodeDecodeError, lightgbm.basic.LightGBMError) as error:
        raise ArtefactError(f"{path}: not a LightGBM model ({error})") from error


def metadata(graph_users, edges, held, report):
    return {
        "trained_at": timezone.now().isoformat(),
        "users": graph_users,
        "friendships": edges,
        "held_out": held,
        **report,
    }
