"""Versions on disk and in the database, the gate, rollback, and refusing tampered artefacts."""

import json
import zipfile

import pytest

from chatsite.api_errors import ApiError
from ml import actions, registry, scoring
from ml.models import ModelVersion, RegistryEvent
from testkit.ml_data import spam_dataset

SPAMMY = "Congratulations! You have been selected for a £1000 cash prize. Call 87121 to claim"


def test_training_registers_an_active_version_with_its_artefact_and_metadata(spam_model, models_dir):
    folder = models_dir / "spam" / "1"
    assert spam_model.status == ModelVersion.Status.ACTIVE and spam_model.version == 1
    model, vocabularies = (folder / "model.skops").read_bytes(), (folder / "vocabularies.json").read_bytes()
    assert registry.artefact_digest(model, vocabularies) == spam_model.sha256
    metadata = json.loads((folder / "metadata.json").read_text())
    assert metadata["metrics"]["f1"] >= 0.95 and metadata["data_sources"][0]["rows"] == 400
    assert {"params", "code_version", "trained_at", "sha256"} <= metadata.keys()
    report = json.loads((folder / "report.json").read_text())
    assert report["gate"]["passed"] is True
    recalls = [point["recall"] for point in report["pr_curve"]]
    assert len(recalls) == 21 and recalls == sorted(recalls, reverse=True)  # stricter thresholds, less recall
    assert zipfile.is_zipfile(folder / "model.skops")  # skops: JSON and arrays in a zip, no pickle


def test_scoring_uses_the_active_model(spam_model):
    scores = scoring.score(SPAMMY)
    assert scores.spam > 0.8 and scores.versions == {"spam": 1} and scores.abuse is None
    assert scoring.score("see you at the station at noon").spam < 0.2


def test_the_gate_refuses_a_worse_candidate(spam_model):
    noisy = spam_dataset(seed=1)
    noisy.labels = [1 - y if i % 3 == 0 else y for i, y in enumerate(noisy.labels)]  # a third flipped
    row, promoted, report = actions.do_train("spam", data=noisy)
    assert not promoted and row.status == ModelVersion.Status.REJECTED
    assert report["candidate"]["f1"] < report["active"]["f1"]
    assert ModelVersion.objects.get(name="spam", status="active").version == 1
    assert RegistryEvent.objects.filter(action="refused", version=row.version).exists()


def test_a_better_or_equal_candidate_is_promoted_and_rollback_is_audited(spam_model, admin_user):
    row, promoted, _ = actions.do_train("spam", data=spam_dataset(seed=1))
    assert promoted and row.version == 2
    assert ModelVersion.objects.get(version=1).status == ModelVersion.Status.RETIRED
    back = actions.do_rollback("spam", actor=admin_user, reason="v2 flags too much")
    assert back.version == 1 and back.status == "active"
    assert ModelVersion.objects.get(version=2).status == "retired"
    event = RegistryEvent.objects.filter(action="rolled_back").get()
    assert (event.version, event.previous_version, event.actor, event.reason) == (1, 2, admin_user, "v2 flags too much")
    with pytest.raises(ApiError):
        actions.do_rollback("spam", 1)  # already active


def test_loading_refuses_a_tampered_artefact_and_scoring_falls_back_to_allow(spam_model, models_dir):
    path = models_dir / "spam" / "1" / "model.skops"
    data = bytearray(path.read_bytes())
    data[-100] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(registry.ArtefactError, match="hash"):
        registry.load_pipeline(spam_model)
    verdict = scoring.check_message(SPAMMY)
    assert verdict.outcome == scoring.ALLOW and verdict.scores.spam is None
    assert scoring.status()["spam"]["state"] == "degraded"
    with pytest.raises(ApiError):
        actions.do_rollback("spam", 1)


def test_loading_refuses_an_edited_vocabulary(spam_model, models_dir):
    path = models_dir / "spam" / "1" / "vocabularies.json"
    path.write_text(path.read_text().replace('"free"', '"hello"'))
    with pytest.raises(registry.ArtefactError, match="hash"):
        registry.load_pipeline(spam_model)


def test_a_missing_model_allows_every_message(db):
    verdict = scoring.check_message(SPAMMY)
    assert verdict.allowed and verdict.scores.spam is None
    assert scoring.status() == {"spam": {"state": "absent"}, "abuse": {"state": "absent"}}


def test_a_promotion_in_another_process_is_scored_within_one_reload_period(spam_model, settings, monkeypatch):
    """Here do_train's forget() never runs (nothing commits in a test), as for a promotion made by
    another process: this one sees it at its next look at the registry, ML_RELOAD_SECONDS after
    the last, even when the compiled answer was made later than that look."""
    settings.ML_RELOAD_SECONDS = 30
    now = [1000.0]
    monkeypatch.setattr(registry.loaded, "clock", lambda: now[0])
    assert scoring.status()["spam"] == {"state": "ok", "version": 1}  # a look at the registry
    now[0] += 29
    assert scoring.score(SPAMMY).versions == {"spam": 1}  # the answer is compiled a period later
    _, promoted, _ = actions.do_train("spam", data=spam_dataset(seed=1))
    assert promoted
    now[0] += 1
    assert scoring.score(SPAMMY).versions == {"spam": 2}
