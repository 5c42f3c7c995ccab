"""check_message: the verdict chats acts on, stricter for new accounts."""

from datetime import timedelta

from django.utils import timezone

from ml import scoring
from ml.scoring import Context, Scores

ESTABLISHED = Context(account_age_days=400)
NEW = Context(account_age_days=0.5)


def test_thresholds_and_trust(settings):
    settings.ML_SPAM_HOLD, settings.ML_SPAM_REJECT, settings.ML_NEW_SPAM_HOLD = 0.8, 0.98, 0.6
    middling = Scores(spam=0.7)
    assert scoring.decide(middling, ESTABLISHED).outcome == scoring.ALLOW
    assert scoring.decide(middling, NEW).outcome == scoring.HOLD
    assert scoring.decide(Scores(spam=0.9), ESTABLISHED).code == "spam_suspected"
    assert scoring.decide(Scores(spam=0.99), ESTABLISHED).outcome == scoring.REJECT
    assert scoring.decide(Scores(spam=0.5, abuse=0.99), ESTABLISHED).code == "abuse_suspected"


def test_context_for_a_user(make_user):
    user = make_user("newbie")
    assert Context.for_user(user, "group").is_new_account
    user.date_joined = timezone.now() - timedelta(days=30)
    assert not Context.for_user(user).is_new_account


def test_check_message_with_a_model(spam_model):
    spam = "WIN a FREE iPhone! Text WIN to 80086 now"
    verdict = scoring.check_message(spam, ESTABLISHED)
    assert verdict.outcome in (scoring.HOLD, scoring.REJECT) and verdict.code == "spam_suspected"
    assert scoring.check_message("running late, see you at the cafe", NEW).allowed
    assert verdict.scores.as_dict()["versions"] == {"spam": spam_model.version}


def test_scoring_switched_off_allows_without_a_look_at_the_registry(spam_model, settings, django_assert_num_queries):
    settings.ML_SCORING = False
    with django_assert_num_queries(0):
        verdict = scoring.check_message("WIN a FREE iPhone! Text WIN to 80086 now")
    assert verdict.allowed and verdict.scores.spam is None
