"""The text classifier: TF-IDF over word 1-2-grams and character 2-5-grams, then logistic
regression; and a compiled form of it that scores one message in pure Python.

scikit-learn's own transform of one short text costs about a millisecond of validation and sparse
matrix plumbing; the send path has a budget of 0.2 ms. A linear model over TF-IDF features is a
sum of weights, so `LinearScorer` keeps, per n-gram, its idf and its idf x coefficient, and adds up
the message's n-grams: the same number as `predict_proba`, checked by the tests. Character n-grams,
most of the work, are looked up once per distinct word and remembered.
"""

import math
from collections import Counter
from functools import lru_cache
from itertools import chain

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


# Distinct words whose known n-gram columns each char_wb block remembers: chat vocabulary is
# Zipfian, so nearly every word of a message is a hit after warm-up.
WORD_CACHE_SIZE = 65536


class _Block:
    """One TF-IDF block of a fitted FeatureUnion, compiled: its vocabulary, and per column its idf
    and its idf x coefficient."""

    def __init__(self, vectorizer, coef):
        if vectorizer.norm != "l2" or not vectorizer.use_idf:
            raise ValueError("LinearScorer expects l2-normalised TF-IDF features")
        self.analyze = vectorizer.build_analyzer()
        self.vocabulary = {gram: int(index) for gram, index in vectorizer.vocabulary_.items()}
        self.idf = np.asarray(vectorizer.idf_, dtype=np.float64)
        self.weight = self.idf * coef
        self.sublinear = vectorizer.sublinear_tf
        self.key = (
            vectorizer.analyzer,
            tuple(vectorizer.ngram_range),
            vectorizer.lowercase,
            vectorizer.token_pattern,
        )
        # char_wb n-grams never cross a space, so a message's n-grams are the union of its words'.
        # Those are looked up once per distinct word; n-grams outside the vocabulary are dropped
        # there, since they change neither the dot product nor the l2 norm.
        self.per_word = vectorizer.analyzer == "char_wb"
        if self.per_word:
            self.word_columns = lru_cache(maxsize=WORD_CACHE_SIZE)(self._known_columns)

    def _known_columns(self, unit) -> tuple:
        get = self.vocabulary.get
        return tuple(column for column in map(get, self.analyze(unit)) if column is not None)

    def units(self, text):
        """What the block analyses, shareable between models that analyse alike: the words for
        char_wb, else the message's n-grams."""
        return text.split() if self.per_word else self.analyze(text)

    def counts(self, units) -> Counter:
        """Known column -> how often the message has that n-gram."""
        if self.per_word:
            return Counter(chain.from_iterable(map(self.word_columns, units)))
        get = self.vocabulary.get
        return Counter(column for column in map(get, units) if column is not None)


class LinearScorer:
    """One fitted pipeline from `build`, compiled: score(text) -> probability of class 1.

    A message's known n-gram columns are counted (per distinct word, cached, for character
    n-grams), then weighted and normalised with numpy: the same number as `predict_proba`."""

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

    @staticmethod
    def _top_terms(coef, pipeline):
        names = pipeline.named_steps["features"].get_feature_names_out()
        order = coef.argsort()
        return {"positive": [str(names[i]) for i in order[::-1][:20]], "negative": [str(names[i]) for i in order[:20]]}

    def decision(self, text: str, analysed: dict | None = None) -> float:
        """`analysed` (a dict per text) shares the split of the text between models that analyse
        it alike: the spam and abuse models split a message once."""
        total = self.intercept
        for block in self.blocks:
            units = analysed.get(block.key) if analysed is not None else None
            if units is None:
                units = block.units(text)
                if analysed is not None:
                    analysed[block.key] = units
            counts = block.counts(units)
            if not counts:
                continue
            columns = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
            tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
            if block.sublinear:
                tf = 1.0 + np.log(tf)
            values = tf * block.idf[columns]
            total += float(tf @ block.weight[columns]) / math.sqrt(float(values @ values))
        return total

    def score(self, text: str, analysed: dict | None = None) -> float:
        z = self.decision(text, analysed)
        # The logistic function, without overflow for very negative z.
        if z >= 0:
            return 1.0 / (1.0 + math.exp(-z))
        e = math.exp(z)
        return e / (1.0 + e)

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
