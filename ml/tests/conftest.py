import pytest

from ml import actions
from ml.registry import loaded
from streaming import bus
from streaming.models import OutboxEvent
from testkit.ml_data import spam_dataset


@pytest.fixture(autouse=True)
def models_dir(settings, tmp_path):
    """Each test gets its own model folder and a process with no model loaded."""
    settings.ML_MODELS_DIR = tmp_path / "models"
    settings.ML_DATA_DIR = tmp_path / "datasets"
    loaded.forget()
    yield settings.ML_MODELS_DIR
    loaded.forget()


@pytest.fixture
def spam_model(db):
    """An active spam model trained on the generated set."""
    row, promoted, _ = actions.do_train("spam", data=spam_dataset())
    assert promoted
    loaded.forget()
    return row


@pytest.fixture
def deliver(db):
    """Hand the unsent outbox to ml's handlers in order, as the relay and a consumer group would
    (inside a test's transaction nothing commits, so the in-process path never runs, and with Kafka
    configured it would not run anyway)."""

    def run():
        for event in OutboxEvent.objects.filter(sent_at=None).order_by("occurred_at"):
            for handler in bus.handlers_for(event.type, modules=["ml"]):
                handler(event.envelope())
            OutboxEvent.objects.filter(pk=event.pk).update(sent_at=event.occurred_at)

    return run
