"""Several compiled models scored in one pass over a message: what the send path runs.

The spam and abuse models analyse a message alike (word 1-2-grams, character 2-5-grams within
words), so their vocabularies are merged: one n-gram id space per analysis, and per id a row of
every model's idf x coefficient and idf squared (zero where a model does not know the n-gram). A
message then costs one count of its n-gram ids per analysis and a few numpy operations whatever the
number of models, where a model at a time cost about twenty small numpy calls each; small numpy
calls, not arithmetic, were the time.

The numbers are those of scikit-learn's predict_proba (the tests hold them to 1e-9): for each
model, the dot product of the sublinear tf x idf row with the coefficients, over the row's l2 norm
sqrt(sum tf^2 idf^2), plus the intercept.
"""

import math
from functools import lru_cache

import numpy as np

# Distinct words whose n-gram ids each character analysis remembers: chat vocabulary is Zipfian,
# so after warm-up nearly every word of a message is a hit.
WORD_CACHE_SIZE = 65536
# Sublinear term frequency 1 + log(count) and its square, looked up rather than computed for
# counts below this (a message's n-gram can occur at most once per character of it).
TF_TABLE_SIZE = 8192


def _tf_table(sublinear: bool) -> np.ndarray:
    counts = np.arange(TF_TABLE_SIZE, dtype=np.float64)
    with np.errstate(divide="ignore"):
        tf = 1.0 + np.log(counts) if sublinear else counts
    tf[0] = 0.0
    return np.stack([tf, tf * tf], axis=1)


class _Analysis:
    """One way of cutting a message into n-grams, shared by the models that cut alike, with their
    merged vocabulary: n-gram -> id, the ids counting up from `first`."""

    def __init__(self, blocks, first: int):
        block = blocks[0][1]
        self.cut, self.word_grams, self.per_word = block.cut, block.word_grams, block.per_word
        self.ids = {}
        for _, block in blocks:
            for gram in block.vocabulary:
                self.ids.setdefault(gram, first + len(self.ids))
        if self.per_word:
            self.word_ids = lru_cache(maxsize=WORD_CACHE_SIZE)(self._known_ids)

    def _known_ids(self, word) -> np.ndarray:
        get = self.ids.get
        return np.array([i for i in map(get, self.word_grams(word)) if i is not None], dtype=np.intp)

    def known_ids(self, text) -> list:
        """The ids of the message's n-grams that some model knows, once per occurrence, in parts."""
        if self.per_word:
            # char_wb n-grams never cross a space: a message's are the union of its words'.
            return list(map(self.word_ids, text.split()))
        get = self.ids.get
        found = [i for i in map(get, self.cut(text)) if i is not None]
        return [found] if found else []


class JointScorer:
    """LinearScorers compiled together: scores(text) -> [probability of class 1 per scorer].

    All analyses share one id space, and row `id` of `rows` holds, for the analysis the n-gram
    belongs to, each model's idf x coefficient and idf squared (zeros elsewhere). So a message is
    one count of its n-gram ids and one (2 x ids) @ (ids x columns) product: per analysis and model,
    tf . (idf x coef) and tf^2 . idf^2, which give the model's share of the decision function."""

    def __init__(self, scorers):
        self.intercepts = [scorer.intercept for scorer in scorers]
        self.models = len(scorers)
        by_key = {}
        for model, scorer in enumerate(scorers):
            for block in scorer.blocks:
                by_key.setdefault(block.key, []).append((model, block))
        self.analyses, size = [], 0
        for blocks in by_key.values():
            self.analyses.append(_Analysis(blocks, size))
            size += len(self.analyses[-1].ids)
        self.rows = np.zeros((size, 2 * self.models * len(self.analyses)), dtype=np.float64)
        sublinear = set()
        for number, (analysis, blocks) in enumerate(zip(self.analyses, by_key.values(), strict=True)):
            for model, block in blocks:
                count = len(block.vocabulary)
                ids = np.fromiter(map(analysis.ids.__getitem__, block.vocabulary), dtype=np.intp, count=count)
                columns = np.fromiter(block.vocabulary.values(), dtype=np.intp, count=count)
                self.rows[ids, self._weight(number, model)] = block.weight[columns]
                self.rows[ids, self._squared(number, model)] = block.idf_squared[columns]
                sublinear.add(block.sublinear)
        if len(sublinear) > 1:
            raise ValueError("JointScorer expects every block's tf alike (all sublinear or none)")
        self.sublinear = sublinear.pop() if sublinear else True
        self.tf = _tf_table(self.sublinear)

    def _weight(self, analysis: int, model: int) -> int:
        return 2 * self.models * analysis + model

    def _squared(self, analysis: int, model: int) -> int:
        return 2 * self.models * analysis + self.models + model

    def decisions(self, text: str) -> list[float]:
        totals = list(self.intercepts)
        parts = [part for analysis in self.analyses for part in analysis.known_ids(text)]
        if not parts:
            return totals
        ids, occurrences = np.unique(np.concatenate(parts), return_counts=True)
        if len(text) * 3 + 3 < TF_TABLE_SIZE:  # no count can reach the table's end
            tf = self.tf[occurrences]
        else:
            tf = 1.0 + np.log(occurrences) if self.sublinear else occurrences.astype(np.float64)
            tf = np.stack([tf, tf * tf], axis=1)
        dots, squares = (tf.T @ self.rows[ids]).tolist()
        for analysis in range(len(self.analyses)):
            for model in range(self.models):
                squared = squares[self._squared(analysis, model)]
                if squared > 0.0:  # a model that knows none of these n-grams has a zero row here
                    totals[model] += dots[self._weight(analysis, model)] / math.sqrt(squared)
        return totals

    def scores(self, text: str) -> list[float]:
        return [logistic(z) for z in self.decisions(text)]


def logistic(z: float) -> float:
    # Without overflow for very negative z.
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)
