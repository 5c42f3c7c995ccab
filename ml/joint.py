"""Several compiled models scored in one pass over a message: what the send path runs.

With ml.features' per-occurrence TF-IDF, a model's decision for a message is its intercept plus,
per analysis (word 1-2-grams; character n-grams within words), W / sqrt(Q): W sums idf x
coefficient and Q sums idf squared over the occurrences of the n-grams the model knows. Both are
plain sums, so one row per n-gram holds every model's W and Q for its analysis (zeros elsewhere),
and a message's totals are the column sums of its n-grams' rows.

Neither character n-grams nor word tokens cross a space, so most of a message's rows belong to one
of its words: their sum, and the word's first and last token, are worked out once per distinct
(lowercased) word and remembered. A message then costs a lookup per word, one per word bigram
across its spaces, and one column sum, whatever the number of models.

The numbers are those of scikit-learn's predict_proba (the tests hold them to 1e-9).

For the layout ml.pipeline.build makes (one word analysis, one char_wb analysis), the same sums
are made in C when the extension is built (ml.native): a message is then one pass with one lookup
per n-gram, and the word cache below is not used.
"""

import math
from itertools import chain, pairwise

from ml import native as native_scorer

# Distinct words remembered, in two generations: when the young one fills up it becomes the old
# one, and a word found there moves back. Chat vocabulary is Zipfian, so after warm-up nearly every
# word of a message is a hit.
WORD_CACHE_SIZE = 65536


def _column_sums(rows):
    return tuple(map(sum, zip(*rows, strict=True)))


class JointScorer:
    """LinearScorers compiled together: scores(text) -> [probability of class 1 per scorer].

    Analysis a owns columns 2·M·a to 2·M·(a + 1) of a message's sums, M being the number of models:
    each model's W, then each model's Q. An n-gram's row holds its analysis' columns only.

    In Python, no numpy: a few small numpy calls per message cost more than the sums, most of all
    with the CPU caches cold from the rest of a send. `native=False` keeps it in Python even where
    the C scorer could serve (the tests compare the two)."""

    def __init__(self, scorers, native=True):
        self.intercepts = [scorer.intercept for scorer in scorers]
        self.models = len(scorers)
        by_key = {}
        for model, scorer in enumerate(scorers):
            for block in scorer.blocks:
                # Blocks with the same key cut a text into the same n-grams: one analysis.
                by_key.setdefault(block.key, []).append((model, block))
        self.analyses = len(by_key)
        self.zero = (0.0,) * (2 * self.models)
        self.char_grams, self.word_tokens, self.whole, char_ranges = [], [], [], []
        for number, blocks in enumerate(by_key.values()):
            rows, block = self._rows(blocks), blocks[0][1]
            if block.per_word:
                self.char_grams.append((number, block.word_grams, rows))
                char_ranges.append(block.char_range)
            elif block.tokens is not None:
                self.word_tokens.append((number, block.tokens, block.bigrams, rows))
            else:
                self.whole.append((number, block.analyze, rows))
        # The analyses whose 2-grams join the last token of a word to the first of the next.
        self.across = [(number, rows) for number, _, bigrams, rows in self.word_tokens if bigrams]
        self.young, self.old = {}, {}
        self.native = self._native(char_ranges) if native else None

    def _native(self, char_ranges):
        """The C scorer, for one plain word analysis and one plain char_wb analysis; else None."""
        if self.whole or len(self.word_tokens) != 1 or len(char_ranges) != 1 or char_ranges[0] is None:
            return None
        (_, _, bigrams, word_rows), (_, _, char_rows) = self.word_tokens[0], self.char_grams[0]
        return native_scorer.build(self.intercepts, word_rows, bigrams, char_rows, char_ranges[0])

    def _rows(self, blocks) -> dict:
        """n-gram -> (each model's idf x coefficient, then each model's idf squared), for one
        analysis; zero where a model does not know the n-gram."""
        models, table = self.models, {}
        for model, block in blocks:
            weights, squares = block.weight.tolist(), block.idf_squared.tolist()
            for gram, column in block.vocabulary.items():
                row = table.setdefault(gram, list(self.zero))
                row[model], row[models + model] = weights[column], squares[column]
        return {gram: tuple(row) for gram, row in table.items()}

    @staticmethod
    def _sums(rows, grams):
        found = list(filter(None, map(rows.get, grams)))
        return _column_sums(found) if found else None

    def _word(self, word):
        """(the sums of the word's own n-grams, every analysis' columns; (first, last) token per
        analysis in `across`, None where the word has none)."""
        parts, ends = [self.zero] * self.analyses, []
        for number, grams, rows in self.char_grams:
            parts[number] = self._sums(rows, grams(word)) or self.zero
        for number, tokens_of, bigrams, rows in self.word_tokens:
            tokens = tokens_of(word)
            if bigrams:
                ends.append((tokens[0], tokens[-1]) if tokens else None)
                tokens = [*tokens, *map(" ".join, pairwise(tokens))]
            parts[number] = self._sums(rows, tokens) or self.zero
        return tuple(chain.from_iterable(parts)), tuple(ends)

    def _learn(self, words) -> dict:
        """Remember every word of a message, from the old generation or cut now. The young
        generation that holds them all, which another thread's swap cannot take from the caller."""
        if len(self.young) >= WORD_CACHE_SIZE:
            self.old, self.young = self.young, {}
        young, old = self.young, self.old
        for word in words:
            if word not in young:
                young[word] = old.get(word) or self._word(word)
        return young

    def _add(self, sums: list, number: int, rows, grams):
        found = self._sums(rows, grams)
        if found:
            start = 2 * self.models * number
            for offset, value in enumerate(found):
                sums[start + offset] += value

    def decisions(self, text: str) -> list[float]:
        """Each model's decision, summed in Python."""
        # The analyses lowercase, and a lowercased text's words are its words lowercased.
        words, young = text.lower().split(), self.young
        if not all(map(young.__contains__, words)):
            young = self._learn(words)
        remembered = list(map(young.__getitem__, words))
        if remembered:
            sums = list(_column_sums([sums for sums, _ in remembered]))
        else:
            sums = [0.0] * (2 * self.models * self.analyses)
        for position, (number, rows) in enumerate(self.across):
            ends = [edges[position] for _, edges in remembered if edges[position] is not None]
            self._add(sums, number, rows, map(" ".join, ((left[1], right[0]) for left, right in pairwise(ends))))
        for number, analyze, rows in self.whole:
            self._add(sums, number, rows, analyze(text))
        totals, models = list(self.intercepts), self.models
        for start in range(0, len(sums), 2 * models):
            for model in range(models):
                squared = sums[start + models + model]
                if squared > 0.0:  # a model that knows none of the analysis' n-grams here adds nothing
                    totals[model] += sums[start + model] / math.sqrt(squared)
        return totals

    def scores(self, text: str) -> list[float]:
        if self.native is not None:
            return self.native.scores(text)
        return [logistic(z) for z in self.decisions(text)]


def logistic(z: float) -> float:
    # Without overflow for very negative z.
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)
