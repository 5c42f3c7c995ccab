"""The text classifier: TF-IDF over word 1-2-grams and character 2-5-grams, then logistic
regression; and a compiled form of it that scores one message without scikit-learn's plumbing.

scikit-learn's own transform of one short text costs about a millisecond of validation and sparse
matrix plumbing; the send path has a budget of 0.2 ms. A linear model over TF-IDF features is a
sum of weights, so `LinearScorer` keeps, per n-gram, its idf and its idf x coefficient, and
ml.joint adds up the message's n-grams: the same number as `predict_proba`, checked by the tests.
Character n-grams, most of the work, are looked up once per distinct word and remembered.
"""

import math
import re
from collections import Counter
from itertools import chain, pairwise

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import MultinomialNB
from sklearn.pipeline import FeatureUnion, Pipeline

from ml.joint import JointScorer

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


def _plain_word_cut(vectorizer):
    """For the plain word 1-2-gram analysis `build` makes, a cut that yields the same n-grams as
    scikit-learn's analyzer (the tests compare the scores), with no Python loop per n-gram."""
    plain = (
        vectorizer.analyzer == "word"
        and tuple(vectorizer.ngram_range) == (1, 2)
        and vectorizer.lowercase
        and vectorizer.input == "content"
        and vectorizer.preprocessor is None
        and vectorizer.tokenizer is None
        and vectorizer.stop_words is None
        and not vectorizer.strip_accents
    )
    if not plain:
        return None
    findall = re.compile(vectorizer.token_pattern).findall

    def cut(text):
        tokens = findall(text.lower())
        return chain(tokens, map(" ".join, pairwise(tokens)))

    return cut


def _plain_word_char_grams(vectorizer):
    """For the plain char_wb analysis `build` makes, one word's character n-grams as
    scikit-learn's analyzer cuts them (padded with a space each side; a word shorter than n
    counts once, whole), without its per-call plumbing: what a word the cache has not seen costs."""
    plain = (
        vectorizer.analyzer == "char_wb"
        and vectorizer.lowercase
        and vectorizer.input == "content"
        and vectorizer.preprocessor is None
        and not vectorizer.strip_accents
    )
    if not plain:
        return None
    low, high = vectorizer.ngram_range

    def grams(word):
        padded = f" {word.lower()} "
        size = len(padded)
        found = []
        for n in range(low, high + 1):
            if n >= size:
                found.append(padded)
                break
            found += [padded[i : i + n] for i in range(size - n + 1)]
        return found

    return grams


class _Block:
    """One TF-IDF block of a fitted FeatureUnion, compiled: its vocabulary, and per column its idf,
    its idf squared and its idf x coefficient."""

    def __init__(self, vectorizer, coef):
        if vectorizer.norm != "l2" or not vectorizer.use_idf:
            raise ValueError("LinearScorer expects l2-normalised TF-IDF features")
        self.analyze = vectorizer.build_analyzer()
        self.cut = _plain_word_cut(vectorizer) or self.analyze
        self.word_grams = _plain_word_char_grams(vectorizer) or self.analyze
        self.vocabulary = {gram: int(index) for gram, index in vectorizer.vocabulary_.items()}
        self.idf = np.asarray(vectorizer.idf_, dtype=np.float64)
        self.idf_squared = self.idf * self.idf
        self.weight = self.idf * coef
        self.sublinear = vectorizer.sublinear_tf
        # Blocks with the same key cut a text into the same n-grams (ml.joint merges them).
        self.key = (
            vectorizer.analyzer,
            tuple(vectorizer.ngram_range),
            vectorizer.lowercase,
            vectorizer.token_pattern,
        )
        # char_wb n-grams never cross a space, so they can be found word by word, and remembered.
        self.per_word = vectorizer.analyzer == "char_wb"


class LinearScorer:
    """One fitted pipeline from `build`, compiled: score(text) -> probability of class 1, the same
    number as `predict_proba`. The send path scores every active model at once (ml.joint)."""

    def __init__(self, pipeline: Pipeline):
        classifier = pipeline.named_steps["clf"]
        coef = classifier.coef_[0]
        self.intercept = float(classifier.intercept_[0])
        self.blocks = []
        offset = 0
        for _, vectorizer in pipeline.named_steps["features"].transformer_list:
            size = len(vectorizer.vocabulary_)
            self.blocks.append(_Block(vectorizer, coef[offset : offset + size]))
            offset += size
        self.top_terms = self._top_terms(coef, pipeline)
        self._alone = None

    @staticmethod
    def _top_terms(coef, pipeline):
        names = pipeline.named_steps["features"].get_feature_names_out()
        order = coef.argsort()
        return {"positive": [str(names[i]) for i in order[::-1][:20]], "negative": [str(names[i]) for i in order[:20]]}

    def score(self, text: str) -> float:
        if self._alone is None:
            self._alone = JointScorer([self])
        return self._alone.scores(text)[0]

    def explain(self, text: str, top: int = 5) -> list[tuple[str, float]]:
        """The n-grams of `text` that pushed its score up most ("why flagged"), with their weight.
        Off the send path: analyses the whole text again, n-gram by n-gram."""
        found = []
        for block in self.blocks:
            counts = Counter(block.analyze(text))
            known = [(gram, block.vocabulary[gram], n) for gram, n in counts.items() if gram in block.vocabulary]
            if not known:
                continue
            columns = np.array([column for _, column, _ in known], dtype=np.int64)
            tf = np.array([n for _, _, n in known], dtype=np.float64)
            if block.sublinear:
                tf = 1.0 + np.log(tf)
            values = tf * block.idf[columns]
            norm = math.sqrt(float(values @ values))
            contributions = tf * block.weight[columns] / norm
            found += [(gram, float(c)) for (gram, _, _), c in zip(known, contributions, strict=True)]
        found.sort(key=lambda item: item[1], reverse=True)
        return [(gram, round(value, 4)) for gram, value in found[:top] if value > 0]
