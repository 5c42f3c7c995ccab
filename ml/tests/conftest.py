import pytest

from ml import actions
from ml.registry import loaded
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
