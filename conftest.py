"""Fixtures shared by every app's tests: the project's test kit (testkit/), loaded as plugins."""

import pytest

pytest_plugins = ["testkit.fixtures", "testkit.sockets", "testkit.kafka"]


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()
