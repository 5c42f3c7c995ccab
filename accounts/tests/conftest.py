import pytest
from rest_framework.test import APIClient

from testkit.factories import PASSWORD


@pytest.fixture
def login():
    """Sign in through the API with a fresh client; returns (client holding the session, token)."""

    def do(username, password=PASSWORD, **extra):
        client = APIClient()
        body = {"username": username, "password": password, **extra}
        response = client.post("/api/v1/auth/login", body, format="json")
        assert response.status_code == 200, response.json()
        return client, response.json()["token"]

    return do
