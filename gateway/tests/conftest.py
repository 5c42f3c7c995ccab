import pytest


@pytest.fixture(autouse=True)
def _clean_realtime_state(clean_realtime_state):
    """Every socket test starts with no groups, presence or rate-limit counters of another."""
