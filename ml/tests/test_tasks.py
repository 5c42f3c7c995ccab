"""The nightly retrain waits for enough new labels; old sent texts are forgotten."""

from datetime import timedelta

from django.utils import timezone

from ml import actions, datasets, tasks
from ml.models import Label, ModelVersion, SentText
from testkit.ml_data import spam_dataset


def test_retrain_waits_for_enough_new_labels(spam_model, settings, monkeypatch):
    monkeypatch.setattr(datasets, "bootstrap", lambda kind: spam_dataset(seed=3))
    settings.ML_RETRAIN_MIN_NEW_LABELS = 5
    assert tasks.retrain(kinds=["spam"]) == {"spam": "skipped: 0 new labels"}
    for i in range(5):
        actions.do_record_label("spam", f"are we still on for lunch? claim your prize {i}", 1, Label.Source.NOT_SPAM)
    result = tasks.retrain(kinds=["spam"])
    assert result["spam"].startswith("v2 ")
    assert ModelVersion.objects.get(version=2).labels_seen == 5
    assert tasks.retrain(kinds=["spam"]) == {"spam": "skipped: 0 new labels"}


def test_retrain_without_bootstrap_data_reports_it(db):
    assert tasks.retrain(kinds=["spam"])["spam"].startswith("failed:")
    assert not ModelVersion.objects.exists()


def test_prune_forgets_texts_past_retention(db, settings):
    settings.ML_TEXT_RETENTION_DAYS = 30
    old = timezone.now() - timedelta(days=31)
    SentText.objects.create(
        message_id="00000000-0000-0000-0000-000000000001",
        conversation_id="00000000-0000-0000-0000-0000000000aa",
        sender_id=1,
        text="old",
        created_at=old,
    )
    SentText.objects.create(
        message_id="00000000-0000-0000-0000-000000000002",
        conversation_id="00000000-0000-0000-0000-0000000000aa",
        sender_id=1,
        text="new",
    )
    assert tasks.prune_sent_texts() == 1
    assert list(SentText.objects.values_list("text", flat=True)) == ["new"]
