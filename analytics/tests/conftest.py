import pytest

from testkit.services import require_service


@pytest.fixture
def data_dir(settings, tmp_path):
    settings.ANALYTICS_DATA_DIR = str(tmp_path / "data")
    return tmp_path / "data"


def engine_params():
    """Both engines; the Spark one is a `services` test (it needs pyspark, Java and `make test`)."""
    return [pytest.param("sql", id="sql"), pytest.param("spark", id="spark", marks=pytest.mark.services)]


@pytest.fixture(params=engine_params())
def engine_name(request):
    if request.param == "spark":
        require_service("spark")
    return request.param
