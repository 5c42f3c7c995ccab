"""Training, evaluation and the promotion gate.

The validation split is chosen by a hash of each example's text, so it is the same in every run:
an example that was held out once is held out always, and an active model and its challenger
are compared on data neither trained on. Moderator labels are split the same way, so the
validation split includes recent decisions.
"""

import hashlib
import json

import numpy as np
from sklearn.metrics import (
    confusion_matrix,
    f1_score,
    precision_recall_curve,
    precision_score,
    recall_score,
    roc_auc_score,
)

from ml import datasets, pipeline
from ml.models import Label

VALIDATION_BUCKETS = 5  # one in five examples is held out
THRESHOLD = 0.5


def held_out(text: str) -> bool:
    digest = hashlib.sha256(text.strip().lower().encode()).digest()
    return digest[0] % VALIDATION_BUCKETS == 0


def with_labels(data: datasets.Dataset, kind: str) -> datasets.Dataset:
    """Bootstrap data plus every moderator (and imported) label of this kind."""
    rows = list(Label.objects.filter(kind=kind).order_by("pk").values_list("text", "label", "source"))
    if rows:
        texts, labels, origins = zip(*rows, strict=True)
        data.add(texts, labels, {"name": f"moderator and imported labels ({kind})", "sha256": ""})
        data.origins[-len(rows) :] = list(origins)
        data.sources[-1]["sha256"] = datasets.hash_texts(texts, labels)
    return data


def split(data: datasets.Dataset):
    train, valid = datasets.Dataset(), datasets.Dataset()
    for text, label, origin in zip(data.texts, data.labels, data.origins, strict=True):
        target = valid if held_out(text) else train
        target.texts.append(text)
        target.labels.append(label)
        target.origins.append(origin)
    train.sources = valid.sources = data.sources
    return train, valid


def metrics(labels, scores, threshold=THRESHOLD) -> dict:
    y = np.asarray(labels)
    predicted = (np.asarray(scores) >= threshold).astype(int)
    both_classes = len(set(y.tolist())) == 2
    tn, fp, fn, tp = confusion_matrix(y, predicted, labels=[0, 1]).ravel()
    return {
        "n": len(y),
        "positives": int(y.sum()),
        "precision": round(float(precision_score(y, predicted, zero_division=0)), 4),
        "recall": round(float(recall_score(y, predicted, zero_division=0)), 4),
        "f1": round(float(f1_score(y, predicted, zero_division=0)), 4),
        "roc_auc": round(float(roc_auc_score(y, scores)), 4) if both_classes else None,
        "threshold": threshold,
        "confusion": {"tn": int(tn), "fp": int(fp), "fn": int(fn), "tp": int(tp)},
    }


def pr_curve(labels, scores, points=21) -> list[dict]:
    """Precision and recall at evenly spaced thresholds: the data of a PR curve, for choosing the
    hold and reject thresholds."""
    if len(set(labels)) < 2:
        return []
    precision, recall, thresholds = precision_recall_curve(labels, scores)
    out = []
    for target in np.linspace(0.0, 1.0, points):
        i = min(int(np.searchsorted(thresholds, target)), len(thresholds) - 1)
        out.append(
            {
                "threshold": round(float(target), 2),
                "precision": round(float(precision[i]), 4),
                "recall": round(float(recall[i]), 4),
            }
        )
    return out


def fit(train: datasets.Dataset, params=None):
    model = pipeline.build(params)
    model.fit(train.texts, train.labels)
    return model


def scores_of(scorer, texts) -> list[float]:
    return [scorer.score(text) for text in texts]


def biggest_changes(texts, labels, old, new, top=10) -> list[dict]:
    """The validation examples whose score moved most between the active model and the candidate."""
    order = np.argsort(-np.abs(np.asarray(new) - np.asarray(old)))[:top]
    return [
        {"text": texts[i][:200], "label": labels[i], "old": round(old[i], 4), "new": round(new[i], 4)} for i in order
    ]


def gate(candidate: dict, active: dict | None, tolerance: float) -> tuple[bool, str]:
    """Promote when there is no active model, or when the candidate's validation F1 is at least the
    active one's (minus `tolerance`) on the same split."""
    if active is None:
        return True, "no active model"
    if candidate["f1"] + tolerance >= active["f1"]:
        return True, f"F1 {candidate['f1']} >= active {active['f1']} - {tolerance}"
    return False, f"F1 {candidate['f1']} < active {active['f1']} - {tolerance}"


def report_json(report: dict) -> str:
    return json.dumps(report, indent=2, sort_keys=True, default=str)
