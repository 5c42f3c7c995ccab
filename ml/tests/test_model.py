"""The classifier learns, its compiled scorer agrees with scikit-learn, and metrics are honest."""

import numpy as np
import pytest

from ml import joint as joint_module
from ml import pipeline, training
from ml.joint import JointScorer
from testkit.ml_data import spam_dataset

# Texts at the edges: none, only spaces, repeated words and n-grams (counted per occurrence),
# punctuation and markup, accents and emoji, other scripts, and long ones.
PROBE_EDGES = [
    "",
    "   ",
    "!!! ??? ...",
    "win win win WIN win, free free FREE",
    "<b>WIN</b> a FREE prize!!! http://x.example/claim?a=1&b=2",
    "ünïcödé téxt 😀 ΣΊΣΥΦΟΣ İstanbul straße",
    "привет, как дела? 你好 مرحبا",
    "tab\tand\nnew lines\r\n  and  double  spaces",
    "x" * 3000,
    "free " * 2000,
]


def test_linear_scorer_matches_predict_proba():
    data = spam_dataset(300, seed=3)
    model = pipeline.build().fit(data.texts, data.labels)
    scorer = pipeline.LinearScorer(model)
    probe = [*spam_dataset(50, seed=4).texts, *PROBE_EDGES]
    expected = model.predict_proba(probe)[:, 1]
    assert np.allclose([scorer.score(t) for t in probe], expected, atol=1e-9, rtol=0)


def test_a_model_trained_on_generated_data_separates_spam_from_ham():
    train, test = spam_dataset(400, seed=5), spam_dataset(200, seed=6)
    model = training.fit(train)
    scorer = pipeline.LinearScorer(model)
    m = training.metrics(test.labels, training.scores_of(scorer, test.texts))
    assert m["f1"] >= 0.95 and m["roc_auc"] >= 0.99
    assert scorer.score("WIN a FREE cruise! Text CLAIM to 87121 now") > 0.8
    assert scorer.score("are we still on for lunch at noon?") < 0.2


def test_explain_names_the_words_that_pushed_the_score_up():
    model = training.fit(spam_dataset(400, seed=7))
    terms = [term for term, _ in pipeline.LinearScorer(model).explain("WIN a FREE laptop, text WIN to 80086")]
    assert terms and any(t.strip() in {"win", "free", "text", "80086", "to 80086", "text win"} for t in terms)


def test_the_validation_split_is_stable_and_disjoint_from_training():
    data = spam_dataset(500, seed=8)
    train, valid = training.split(data)
    again_train, again_valid = training.split(data)
    assert valid.texts == again_valid.texts and train.texts == again_train.texts
    assert not set(train.texts) & set(valid.texts)  # a text never sits on both sides
    assert 0.1 < len(valid) / len(data) < 0.3


@pytest.mark.parametrize(
    ("candidate", "active", "passes"),
    [(0.9, None, True), (0.9, 0.9, True), (0.91, 0.9, True), (0.89, 0.9, False)],
)
def test_gate(candidate, active, passes):
    ok, _ = training.gate({"f1": candidate}, active and {"f1": active}, 0.0)
    assert ok is passes


def test_two_models_scored_in_one_pass_match_predict_proba_each():
    first_model = training.fit(spam_dataset(300, seed=11))
    second_model = training.fit(spam_dataset(300, seed=12, spam_share=0.5))
    joint = JointScorer([pipeline.LinearScorer(first_model), pipeline.LinearScorer(second_model)])
    probe = [*spam_dataset(40, seed=13).texts, *PROBE_EDGES]
    scores = np.array([joint.scores(text) for text in probe])
    assert np.allclose(scores[:, 0], first_model.predict_proba(probe)[:, 1], atol=1e-9, rtol=0)
    assert np.allclose(scores[:, 1], second_model.predict_proba(probe)[:, 1], atol=1e-9, rtol=0)


def test_scores_stay_exact_while_the_word_cache_turns_over(monkeypatch):
    """Words move between the cache's two generations and are cut again once forgotten."""
    monkeypatch.setattr(joint_module, "WORD_CACHE_SIZE", 8)
    model = training.fit(spam_dataset(300, seed=18))
    joint = JointScorer([pipeline.LinearScorer(model)], native=False)
    probe = [*spam_dataset(40, seed=19).texts, *PROBE_EDGES]
    expected = model.predict_proba(probe)[:, 1]
    for _ in range(2):  # the second round finds some words remembered, some forgotten
        assert np.allclose([joint.scores(text)[0] for text in probe], expected, atol=1e-9, rtol=0)
    assert 0 < len(joint.young) <= 8 + max(len(text.split()) for text in probe)


def test_models_with_other_n_gram_ranges_score_alongside_exactly():
    """Models that cut texts differently share nothing, and each still gets its own number: word
    1-grams alone and other character n-grams (cut per word), and word 1-3-grams (cut from the
    whole text by scikit-learn's analyzer)."""
    data = spam_dataset(300, seed=14)
    models = [
        training.fit(data),
        pipeline.build({"word_ngrams": (1, 1), "char_ngrams": (3, 4)}).fit(data.texts, data.labels),
        pipeline.build({"word_ngrams": (1, 3)}).fit(data.texts, data.labels),
    ]
    joint = JointScorer([pipeline.LinearScorer(model) for model in models])
    assert joint.analyses == 5 and len(joint.whole) == 1
    probe = [*spam_dataset(30, seed=15).texts, *PROBE_EDGES]
    scores = np.array([joint.scores(text) for text in probe])
    for number, model in enumerate(models):
        assert np.allclose(scores[:, number], model.predict_proba(probe)[:, 1], atol=1e-9, rtol=0)


def test_the_fast_cuts_yield_exactly_scikit_learns_n_grams():
    """The word tokens (scikit-learn's 1-grams: its 2-grams are pairs of them, and hold a space)
    and each word's character n-grams; the scores' tests check the pairs."""
    model = training.fit(spam_dataset(200, seed=16))
    words, chars = pipeline.LinearScorer(model).blocks
    assert words.tokens is not None and chars.word_grams is not chars.analyze  # the fast paths are in use
    texts = [*spam_dataset(30, seed=17).texts, *PROBE_EDGES]
    for text in texts:
        assert sorted(words.tokens(text)) == sorted(gram for gram in words.analyze(text) if " " not in gram)
        for word in [*text.split(), "a", "ab", "abcd", "abcde", "İ", "ΣΊΣΥΦΟΣ"]:
            assert sorted(chars.word_grams(word)) == sorted(chars.analyze(word))
