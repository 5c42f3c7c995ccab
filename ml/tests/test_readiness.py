"""/readyz: a model that failed to load makes the server degraded, never unavailable."""

from django.test import override_settings

from ml import scoring

TOKEN = "probe-secret-ml"
DETAIL = {"HTTP_X_READYZ_TOKEN": TOKEN}


@override_settings(READYZ_TOKEN=TOKEN)
def test_readyz_is_ready_with_a_loaded_model(client, spam_model):
    assert scoring.check_message("see you at noon").scores.spam is not None
    body = client.get("/readyz", **DETAIL).json()
    assert body["status"] == "ready"
    assert body["backends"]["ml_models"] == {**body["backends"]["ml_models"], "status": "up", "critical": False}


@override_settings(READYZ_TOKEN=TOKEN)
def test_a_model_that_fails_to_load_is_degraded_and_sends_are_still_allowed(client, spam_model, models_dir):
    path = models_dir / "spam" / "1" / "model.skops"
    path.write_bytes(path.read_bytes()[:-10])  # a truncated artefact: its hash no longer matches
    assert scoring.check_message("WIN a FREE iPhone! Text WIN to 80086 now").allowed

    response = client.get("/readyz")
    assert response.status_code == 200  # degraded, so the pod stays in service
    assert response.json() == {"status": "degraded"}
    probe = client.get("/readyz", **DETAIL).json()["backends"]["ml_models"]
    assert probe["status"] == "down" and probe["critical"] is False
    assert "spam" in probe["error"] and "hash" in probe["error"]


def test_no_model_trained_yet_is_not_degraded(db):
    scoring.probe()  # nothing active: sends are allowed by design, not by failure
