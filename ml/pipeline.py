"""The text classifier: TF-IDF over word 1-2-grams and character 2-5-grams, then logistic
regression; and a compiled form of it that scores one message in pure Python.

scikit-learn's own transform of one short text costs about a millisecond of validation and sparse
matrix plumbing; the send path has a budget of 0.2 ms. A linear model over TF-IDF features is a
sum of weights, so `LinearScorer` keeps, per n-gram, its idf and its idf x coefficient, and adds up
the message's n-grams: the same number as `predict_proba`, checked by the tests.
"""

import math
from collections import Counter
from itertools import repeat

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import MultinomialNB
from sklearn.pipeline import FeatureUnion, Pipeline

# Chosen by 5-fold cross-validation on the SMS Spam Collection (bench/ml_spam_cv.py).
DEFAULT_PARAMS = {
    "word_ngrams": (1, 2),
    "char_ngrams": (2, 5),
    "char_min_df": 2,
    "C": 30.0,
    "class_weight": "balanced",
}


def build(params=None) -> Pipeline:
    p = {**DEFAULT_PARAMS, **(params or {})}
    features = FeatureUnion(
        [
            ("words", TfidfVectorizer(ngram_range=tuple(p["word_ngrams"]), sublinear_tf=True)),
            (
                "chars",
                TfidfVectorizer(
                    analyzer="char_wb", ngram_range=tuple(p["char_ngrams"]), min_df=p["char_min_df"], sublinear_tf=True
                ),
            ),
        ]
    )
    classifier = LogisticRegression(C=p["C"], class_weight=p["class_weight"], max_iter=3000)
    return Pipeline([("features", features), ("clf", classifier)])


def build_naive_bayes() -> Pipeline:
    """The baseline the linear model is measured against."""
    return Pipeline([("features", TfidfVectorizer(ngram_range=(1, 2))), ("clf", MultinomialNB(alpha=0.1))])


def params_of(params=None) -> dict:
    p = {**DEFAULT_PARAMS, **(params or {})}
    return {k: list(v) if isinstance(v, tuple) else v for k, v in p.items()}


class LinearScorer:
    """One fitted pipeline from `build`, compiled: score(text) -> probability of class 1.

    Per TF-IDF block: the vocabulary (n-gram -> column), and per column its idf and idf x weight.
    A message's n-grams are counted once (shared between models that analyse alike), looked up in
    C (`map(dict.get, ...)` into numpy) and summed with numpy: no Python loop per n-gram."""

    def __init__(self, pipeline: Pipeline):
        classifier = pipeline.named_steps["clf"]
        coef = classifier.coef_[0]
        self.intercept = float(classifier.intercept_[0])
        self.blocks = []
        offset = 0
        for _, vectorizer in pipeline.named_steps["features"].transformer_list:
            if vectorizer.norm != "l2" or not vectorizer.use_idf:
                raise ValueError("LinearScorer expects l2-normalised TF-IDF features")
            size = len(vectorizer.vocabulary_)
            vocabulary = {gram: int(index) for gram, index in vectorizer.vocabulary_.items()}
            idf = np.asarray(vectorizer.idf_, dtype=np.float64)
            weight = idf * coef[offset : offset + size]
            key = (
                vectorizer.analyzer,
                tuple(vectorizer.ngram_range),
                vectorizer.lowercase,
                vectorizer.token_pattern,
                vectorizer.sublinear_tf,
            )
            self.blocks.append((vectorizer.build_analyzer(), vocabulary, idf, weight, vectorizer.sublinear_tf, key))
            offset += size
        self.top_terms = self._top_terms(coef, pipeline)

    @staticmethod
    def _top_terms(coef, pipeline):
        names = pipeline.named_steps["features"].get_feature_names_out()
        order = coef.argsort()
        return {"positive": [str(names[i]) for i in order[::-1][:20]], "negative": [str(names[i]) for i in order[:20]]}

    @staticmethod
    def _analyse(analyze, sublinear, text):
        counts = Counter(analyze(text))
        grams = list(counts)
        tf = np.fromiter(counts.values(), dtype=np.float64, count=len(grams))
        if sublinear:
            tf = 1.0 + np.log(tf)
        return grams, tf

    def _columns(self, text, analysed=None):
        """Per block: (the message's n-grams, their tf, their columns or -1)."""
        for analyze, vocabulary, idf, weight, sublinear, key in self.blocks:
            found = analysed.get(key) if analysed is not None else None
            if found is None:
                found = self._analyse(analyze, sublinear, text)
                if analysed is not None:
                    analysed[key] = found
            grams, tf = found
            columns = np.fromiter(map(vocabulary.get, grams, repeat(-1)), dtype=np.int64, count=len(grams))
            yield grams, tf, columns, idf, weight

    def decision(self, text: str, analysed: dict | None = None) -> float:
        """`analysed` (a dict per text) shares the n-gram counts between models that analyse the
        text alike: the spam and abuse models count a message's n-grams once."""
        total = self.intercept
        for _, tf, columns, idf, weight in self._columns(text, analysed):
            known = columns >= 0
            if not known.any():
                continue
            tf, columns = tf[known], columns[known]
            values = tf * idf[columns]
            total += float(tf @ weight[columns]) / math.sqrt(float(values @ values))
        return total

    def score(self, text: str, analysed: dict | None = None) -> float:
        z = self.decision(text, analysed)
        # The logistic function, without overflow for very negative z.
        if z >= 0:
            return 1.0 / (1.0 + math.exp(-z))
        e = math.exp(z)
        return e / (1.0 + e)

    def explain(self, text: str, top: int = 5) -> list[tuple[str, float]]:
        """The n-grams of `text` that pushed its score up most ("why flagged"), with their weight."""
        found = []
        for grams, tf, columns, idf, weight in self._columns(text):
            known = np.flatnonzero(columns >= 0)
            if not len(known):
                continue
            values = tf[known] * idf[columns[known]]
            norm = math.sqrt(float(values @ values))
            contributions = tf[known] * weight[columns[known]] / norm
            found += [(grams[i], float(c)) for i, c in zip(known, contributions, strict=True)]
        found.sort(key=lambda item: item[1], reverse=True)
        return [(gram, round(value, 4)) for gram, value in found[:top] if value > 0]
