"""The C form of ml.joint's scorer (joint.c, the extension module ml.native._joint), when `make`
has built it.

Why C: in CPython the joint scorer took 0.13 ms for a message at the median and 0.5 ms at p99 once
a send had evicted its tables from the CPU caches (each word it had not seen cost about 0.07 ms);
the send path's budget is 0.2 ms at p99. In C a message is one pass over the string's own storage,
with one table lookup per n-gram occurrence, batched so that the waits on memory overlap
(`python -m bench.ml_scoring`: p99 about 0.11 ms).

`build(...)` returns a NativeJoint, or None when the module is not there (no C compiler or no
Python headers when `make` ran) or two n-grams of the vocabulary share a 64-bit hash. ml.joint then
scores in Python, to the same numbers.
"""

import functools
import logging
import re

import numpy as np

try:
    from ml.native import _joint
except ImportError:  # not built: ml.joint scores in Python
    _joint = None

log = logging.getLogger(__name__)

CODE_POINTS = 0x110000
KEYS = "utf-32-le"  # how the vocabulary's n-grams reach joint.c; lone surrogates pass as themselves


def available() -> bool:
    return _joint is not None


@functools.cache
def bitmaps() -> tuple[bytes, bytes]:
    """(word characters, whitespace), a bit per code point: what the regex \\w matches (the token
    pattern's) and what str.split() splits on (scikit-learn's char_wb cut), taken from Python's own
    re module so that both cuts are exactly Python's."""
    every = np.arange(CODE_POINTS, dtype="<u4").tobytes().decode(KEYS, "surrogatepass")  # all, in order

    def bits(pattern):
        marks = np.zeros(CODE_POINTS, dtype=bool)
        for match in re.finditer(pattern, every):
            marks[match.start() : match.end()] = True
        return np.packbits(marks, bitorder="little").tobytes()

    return bits(r"\w+"), bits(r"\s+")


class NativeJoint:
    """scores(text) -> each model's probability of class 1, as JointScorer.scores gives them."""

    def __init__(self, scorer):
        self._scorer, self._scores = scorer, _joint.scores

    def scores(self, text: str) -> list[float]:
        return self._scores(self._scorer, text.lower())


def _table(scorer, which: int, rows: dict, width: int) -> bool:
    grams = list(rows)
    starts = np.zeros(len(grams) + 1, dtype=np.int64)
    np.cumsum([len(gram) for gram in grams], out=starts[1:])
    values = np.array(list(rows.values()), dtype=np.float64).reshape(len(grams), width)
    keys = "".join(grams).encode(KEYS, "surrogatepass")
    return _joint.table(scorer, which, keys, starts.tobytes(), len(grams), values.tobytes())


def build(intercepts, word_rows: dict, word_bigrams: bool, char_rows: dict, char_range) -> NativeJoint | None:
    """A native scorer over one word analysis (rows by token, and by "left right" pair when
    `word_bigrams`) and one char_wb analysis cutting `char_range` n-grams; rows hold every model's
    W, then every model's Q. None when it cannot be had."""
    if _joint is None:
        return None
    models = len(intercepts)
    low, high = char_range
    try:
        scorer = _joint.new(
            models, np.asarray(intercepts, dtype=np.float64).tobytes(), *bitmaps(), low, high, word_bigrams
        )
    except ValueError as exc:  # more models at once than joint.c holds
        log.warning("ml: %s; scoring in Python", exc)
        return None
    for which, rows in ((0, word_rows), (1, char_rows)):
        if not _table(scorer, which, rows, 2 * models):
            log.warning("ml: two n-grams share a hash in the native scorer's table, scoring in Python")
            return None
    return NativeJoint(scorer)
