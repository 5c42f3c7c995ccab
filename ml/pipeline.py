"""The text classifier: TF-IDF over word 1-2-grams and character 2-5-grams, then logistic
regression; and a compiled form of it that scores one message without scikit-learn's plumbing.

scikit-learn's own transform of one short text costs about a millisecond of validation and sparse
matrix plumbing; the send path has a budget of 0.2 ms. The features are ml.features' per-occurrence
TF-IDF, so a linear model's decision is two sums over the message's n-gram occurrences (idf x
coefficient, and idf squared): `LinearScorer` keeps both per n-gram, and ml.joint adds them up,
word by remembered word. The same number as `predict_proba`, checked by the tests.
"""

import math
import re
from collections import Counter
from functools import lru_cache

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import MultinomialNB
from sklearn.pipeline import FeatureUnion, Pipeline

from ml.features import DEFAULT_TOKEN_PATTERN, OccurrenceTfidf
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
            ("words", OccurrenceTfidf(ngram_range=tuple(p["word_ngrams"]), norm=None)),
            (
                "chars",
                OccurrenceTfidf(
                    analyzer="char_wb", ngram_range=tuple(p["char_ngrams"]), min_df=p["char_min_df"], norm=None
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


def _plain_word_tokens(vectorizer):
    """For a plain word analysis of 1-grams, or 1- and 2-grams (what `build` makes), the tokens of a
    text as scikit-learn's analyzer finds them, with no per-call plumbing; None for any other.
    The default token pattern never matches across a space, so a text's tokens are its words'
    tokens end to end: what lets ml.joint remember them per word."""
    plain = (
        vectorizer.analyzer == "word"
        and tuple(vectorizer.ngram_range) in {(1, 1), (1, 2)}
        and vectorizer.token_pattern == DEFAULT_TOKEN_PATTERN
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
    return lambda text: findall(text.lower())


def _plain_word_char_grams(vectorizer):
    """For the plain char_wb analysis `build` makes, one word's character n-grams as
    scikit-learn's analyzer cuts them (padded with a space each side; a word shorter than n
    counts once, whole), without its per-call plumbing: what a word the cache has not seen costs.
    The windows are slices made once per padded length, so the cutting loop runs in C."""
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

    @lru_cache(maxsize=256)
    def windows(size):
        # scikit-learn stops at the first n that reaches the padded word's length, which it
        # counts once, whole.
        if size <= low:
            return (slice(None),)
        return tuple(slice(i, i + n) for n in range(low, min(high, size) + 1) for i in range(size - n + 1))

    def grams(word):
        padded = f" {word.lower()} "
        return map(padded.__getitem__, windows(len(padded)))

    return grams


class _Block:
    """One TF-IDF block of a fitted FeatureUnion, compiled: its vocabulary, and per column its idf,
    its idf squared and its idf x coefficient."""

    def __init__(self, vectorizer, coef):
        if not isinstance(vectorizer, OccurrenceTfidf):
            # Models trained before the features were summable (l2 rows of sublinear counts).
            raise ValueError("LinearScorer expects per-occurrence TF-IDF features: retrain with manage.py ml_train")
        vectorizer.check()
        self.analyze = vectorizer.build_analyzer()
        # How ml.joint cuts a text: tokens (plus pairs of neighbours when `bigrams`) per word,
        # character n-grams per word, or else the whole text through scikit-learn's analyzer.
        self.tokens = _plain_word_tokens(vectorizer)
        self.bigrams = tuple(vectorizer.ngram_range) == (1, 2)
        plain_chars = _plain_word_char_grams(vectorizer)
        self.word_grams = plain_chars or self.analyze
        # The n-gram sizes of a plain char_wb cut, which ml.native's C scorer can make; else None.
        self.char_range = tuple(vectorizer.ngram_range) if plain_chars else None
        self.vocabulary = {gram: int(index) for gram, index in vectorizer.vocabulary_.items()}
        self.idf = np.asarray(vectorizer.idf_, dtype=np.float64)
        self.idf_squared = self.idf * self.idf
        self.weight = self.idf * coef
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
            norm = math.sqrt(float(tf @ block.idf_squared[columns]))
            contributions = tf * block.weight[columns] / norm
            found += [(gram, float(c)) for (gram, _, _), c in zip(known, contributions, strict=True)]
        found.sort(key=lambda item: item[1], reverse=True)
        return [(gram, round(value, 4)) for gram, value in found[:top] if value > 0]
