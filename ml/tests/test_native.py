"""The C scorer (ml.native) gives the send path the numbers scikit-learn and the Python scorer give,
for any text, and the Python scorer takes over wherever the C one cannot serve."""

import re
import threading

import numpy as np
import pytest

from ml import native, pipeline, training
from ml.joint import JointScorer
from ml.tests.test_model import PROBE_EDGES
from testkit.ml_data import spam_dataset
from testkit.services import missing

# What the C cut must treat exactly as Python does: every kind of whitespace str.split() knows,
# word characters beyond ASCII (digits of other scripts, underscores, combining marks), a NUL, a
# lone surrogate, characters beyond the BMP, lowercasing that changes a text's length, one-letter
# words and long runs.
PROBE_HARD = [
    "free\u00a0prize\u2003now\u3000win\x1cclaim\x1d\x1e\x1f\x85text\u2028stop\u2029end\u202fx\u205fy",
    "snake_case_word __init__ _ __ a_b 1_2",
    "\u0663\u0664\u0665 \u0661\u0662 \u0be7\u0be8 \u4e94\u516d \u216b\u2163 \u00bd\u00bc x\u00b2",
    "e\u0301te\u0301 cafe\u0301 n\u0303",
    "nul\x00inside free\x00\x00prize",
    "lone \ud800 surrogate \udfff here",
    "\U0001f389\U0001f389 win \U0001d523\U0001d52f\U0001d522\U0001d522 \U0001d416\U0001d408\U0001d40d",
    "\u0130\u0130\u0130 \u01c5ungla \u03a3\u0391\u03a3 \ufb00 \ufb01ne STRASSE",
    "a b c d e f g h i j k l",
    "I",
    "\t\n\r\x0b\x0c",
    "win" * 400 + " " + "free " * 300,
]


@pytest.fixture(scope="module")
def models():
    spam = training.fit(spam_dataset(300, seed=21))
    other = training.fit(spam_dataset(300, seed=22, spam_share=0.5))
    return spam, other


def probe_texts():
    return [*spam_dataset(60, seed=23).texts, *PROBE_EDGES, *PROBE_HARD]


def c_scorer_or_skip():
    if not native.available():
        missing("the C scorer (ml.native._joint) is not built; `make` builds it")


def test_the_c_scorer_serves_the_layout_the_pipeline_builds(models):
    c_scorer_or_skip()
    assert JointScorer([pipeline.LinearScorer(model) for model in models]).native is not None


def test_the_c_scorer_matches_predict_proba_and_the_python_scorer_on_hard_texts(models):
    c_scorer_or_skip()
    scorers = [pipeline.LinearScorer(model) for model in models]
    in_c, in_python = JointScorer(scorers), JointScorer(scorers, native=False)
    texts = probe_texts()
    c_scores = np.array([in_c.scores(text) for text in texts])
    python_scores = np.array([in_python.scores(text) for text in texts])
    for number, model in enumerate(models):
        assert np.allclose(c_scores[:, number], model.predict_proba(texts)[:, 1], atol=1e-9, rtol=0)
    assert np.allclose(c_scores, python_scores, atol=1e-12, rtol=0)


def test_the_c_cut_knows_python_s_word_characters_and_whitespace():
    word_chars, spaces = (np.unpackbits(np.frombuffer(bits, np.uint8), bitorder="little") for bits in native.bitmaps())
    word = re.compile(r"\w")
    for code in (*range(0x3000), *range(0x1D400, 0x1D500), 0x10FFFF, 0xD800):
        char = chr(code)
        assert word_chars[code] == bool(word.match(char)), hex(code)
        assert spaces[code] == char.isspace(), hex(code)
    assert spaces.sum() == sum(chr(code).isspace() for code in range(native.CODE_POINTS))


def test_threads_scoring_at_once_each_get_their_own_numbers(models):
    c_scorer_or_skip()
    joint = JointScorer([pipeline.LinearScorer(models[0])])
    texts = probe_texts()
    expected = [joint.scores(text) for text in texts]
    results, barrier = [None] * 8, threading.Barrier(8)

    def work(i):
        barrier.wait()
        results[i] = [joint.scores(text) for text in texts[i:] + texts[:i]]

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for i, scores in enumerate(results):
        assert scores == expected[i:] + expected[:i]


class _OneGramTwice(dict):
    """A vocabulary whose two entries are the same n-gram: the same hash."""

    def __iter__(self):
        return iter(["ab", "ab"])

    def values(self):
        return [(1.0, 1.0), (2.0, 2.0)]


def test_a_hash_shared_by_two_n_grams_leaves_scoring_to_python():
    c_scorer_or_skip()
    assert native.build([0.0], _OneGramTwice(), True, {"ab": (1.0, 1.0)}, (2, 5)) is None
    assert native.build([0.0], {"ab": (1.0, 1.0)}, True, {"ab": (1.0, 1.0)}, (2, 5)) is not None


def test_without_the_library_the_python_scorer_gives_the_same_numbers(models, monkeypatch):
    monkeypatch.setattr(native, "_joint", None)
    joint = JointScorer([pipeline.LinearScorer(models[0])])
    assert joint.native is None
    texts = probe_texts()
    assert np.allclose([joint.scores(t)[0] for t in texts], models[0].predict_proba(texts)[:, 1], atol=1e-9, rtol=0)


def test_more_models_than_the_c_scorer_holds_stay_in_python():
    c_scorer_or_skip()
    assert native.build([0.0] * 17, {}, True, {}, (2, 5)) is None


def test_other_layouts_stay_in_python():
    data = spam_dataset(200, seed=24)
    three = pipeline.build({"word_ngrams": (1, 3)}).fit(data.texts, data.labels)
    assert JointScorer([pipeline.LinearScorer(three)]).native is None
