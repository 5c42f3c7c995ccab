import pytest


@pytest.fixture(autouse=True)
def _socket_test(clean_realtime_state, close_sockets):
    """Every socket test starts with no groups, presence or rate-limit counters of another, and
    its sockets are closed in its own loop."""
