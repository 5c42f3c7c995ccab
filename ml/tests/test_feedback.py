"""Moderators' decisions become labels through the domain events, and a retrain learns from them."""

from django.test import override_settings
from django.urls import reverse

from ml import actions, registry, scoring
from ml.handlers import kinds_named
from ml.models import Label, SentText
from moderation import actions as moderation
from moderation.tests.conftest import ACT, VIEW, grant
from testkit.factories import send
from testkit.ml_data import spam_dataset

# Self-promotion in ham's words: ham to a model trained on the generated set, until moderators say otherwise.
CHOSEN = "are we still on for the meetup? follow my channel for daily tips"


def _moderator(make_user):
    user = make_user("mod", is_staff=True)
    grant(user, VIEW + ACT)
    return user


def test_kinds_named():
    assert kinds_named("obvious spam") == ["spam"]
    assert kinds_named("harassment", None) == ["abuse"]
    assert kinds_named("scam and insults") == ["spam", "abuse"]
    assert kinds_named("off topic") == []


def test_sent_messages_keep_their_text_for_later_decisions(alice, group, deliver):
    message = send(alice, group, "hello there")
    deliver()
    row = SentText.objects.get(message_id=message.id)
    assert (row.text, row.sender_id, row.conversation_id) == ("hello there", alice.pk, group.id)
    assert row.scores == {"spam": None, "abuse": None, "versions": {}}  # no model yet


def test_sent_texts_carry_the_scores_and_why(spam_model, alice, group, deliver, admin_client, settings):
    # sent, neither held nor refused on the send path, so that its text is kept
    settings.ML_SPAM_REJECT = settings.ML_SPAM_HOLD = settings.ML_NEW_SPAM_HOLD = 1.01
    message = send(alice, group, "WIN a FREE cruise! Text CLAIM to 87121 now")
    deliver()
    row = SentText.objects.get(message_id=message.id)
    assert row.scores["spam"] > 0.8 and row.scores["versions"] == {"spam": 1}
    page = admin_client.get(reverse("admin:ml_senttext_change", args=[message.id])).content.decode()
    assert "why" in page and "87121" in page


def test_resolved_reports_become_labels(alice, bob, group, make_user, deliver):
    mod = _moderator(make_user)
    spam = send(alice, group, CHOSEN)
    fine = send(alice, group, "lunch at noon?")
    first = moderation.do_report_message(bob, group.id, spam.id, "spam")
    second = moderation.do_report_message(bob, group.id, fine.id, "looks weird")
    deliver()
    assert not Label.objects.exists()  # a report alone is no decision
    moderation.do_resolve_reports(mod, [first.pk], "actioned", "crypto spam")
    moderation.do_resolve_reports(mod, [second.pk], "dismissed", "nothing wrong")
    deliver()
    positive = Label.objects.get(message_id=spam.id)
    assert (positive.kind, positive.label, positive.source, positive.text) == ("spam", 1, "report_actioned", CHOSEN)
    assert positive.moderator == mod
    negatives = Label.objects.filter(message_id=fine.id)
    assert sorted(negatives.values_list("kind", "label")) == [("abuse", 0), ("spam", 0)]


def test_a_moderator_delete_of_a_reported_message_labels_it(alice, bob, group, make_user, deliver):
    mod = _moderator(make_user)
    message = send(alice, group, CHOSEN)
    moderation.do_report_message(bob, group.id, message.id, "scam link")
    moderation.do_delete_message(mod, message.id, "spam")
    deliver()
    assert Label.objects.get(message_id=message.id).label == 1


@override_settings(ML_PROMOTE_TOLERANCE=0.05)
def test_a_retrain_on_decisions_moves_a_chosen_messages_score(spam_model):
    before = scoring.score(CHOSEN).spam
    for i in range(40):
        actions.do_record_label("spam", f"{CHOSEN} #{i}", 1, Label.Source.REPORT_ACTIONED)
    _, promoted, report = actions.do_train("spam", data=spam_dataset())
    registry.loaded.forget()
    assert promoted, report["gate"]
    after = scoring.score(CHOSEN).spam
    assert before < 0.5 < after
    assert report["candidate"]["decisions"]["n"] > 0
