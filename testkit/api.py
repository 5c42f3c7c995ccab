"""Helpers for tests of the REST API: clients and the one error shape."""

from rest_framework.test import APIClient


def token_client(token):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def assert_error(response, status_code, code=None):
    """The response is the API's one error shape, with this status (and code)."""
    assert response.status_code == status_code, response.content
    assert response["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert isinstance(error["code"], str) and error["code"]
    assert isinstance(error["message"], str)
    assert isinstance(error["fields"], dict)
    if code is not None:
        assert error["code"] == code, error
    return error
