"""Whatever a client sends, the answer is a 4xx in the one error shape, never a 500."""

import json

import pytest

from testkit.api import assert_error
from testkit.factories import PASSWORD

pytestmark = pytest.mark.django_db

AUTHENTICATED = [
    ("post", "/api/v1/auth/logout"),
    ("post", "/api/v1/auth/logout-all"),
    ("post", "/api/v1/auth/password"),
    ("get", "/api/v1/me"),
    ("patch", "/api/v1/me"),
    ("get", "/api/v1/users?q=a"),
    ("get", "/api/v1/users/1"),
    ("get", "/api/v1/blocks"),
    ("put", "/api/v1/blocks/1"),
    ("delete", "/api/v1/blocks/1"),
]

# endpoint -> a valid body, which each case below spoils in one way
BODIES = {
    "/api/v1/auth/register": {"username": "newbie", "password": PASSWORD},
    "/api/v1/auth/login": {"username": "alice", "password": PASSWORD},
    "/api/v1/auth/password": {"old_password": PASSWORD, "new_password": "quartz-Lantern-77-meadow"},
    "/api/v1/me": {"bio": "hello"},
}
METHODS = {"/api/v1/me": "patch"}

WRONG_TYPES = [123, 1.5, True, None, [], ["x"], {"a": 1}]


@pytest.fixture
def client(make_user, api_client):
    api_client.force_authenticate(make_user("alice"))
    return api_client


def send(client, url, body, **kwargs):
    return getattr(client, METHODS.get(url, "post"))(url, body, **kwargs)


def cases():
    return list(_cases())


def _cases():
    for url, valid in BODIES.items():
        for field in valid:
            for value in WRONG_TYPES:
                yield pytest.param(url, {**valid, field: value}, id=f"{url} {field}={value!r}")
            yield pytest.param(url, {**valid, field: "x" * 600}, id=f"{url} {field} overlong")
        yield pytest.param(url, {**valid, "surprise": 1}, id=f"{url} unknown field")
        for body in ([], [valid], "text", 7, None):
            yield pytest.param(url, body, id=f"{url} body={body!r}")


@pytest.mark.parametrize(("method", "url"), AUTHENTICATED)
def test_anonymous_requests_to_authenticated_endpoints_are_401_json(api_client, method, url):
    assert_error(getattr(api_client, method)(url, format="json"), 401, "not_authenticated")


@pytest.mark.parametrize(("url", "body"), cases())
def test_bad_bodies_are_400_json(client, url, body):
    assert_error(send(client, url, json.dumps(body), content_type="application/json"), 400)


@pytest.mark.parametrize("url", list(BODIES))
def test_missing_body_is_4xx_json(client, url):
    response = send(client, url, None, content_type="application/json")
    if url == "/api/v1/me":  # an empty PATCH changes nothing, which is fine
        assert response.status_code == 200
    else:
        assert_error(response, 400)


@pytest.mark.parametrize("url", list(BODIES))
def test_malformed_json_is_400_json(client, url):
    assert_error(send(client, url, '{"username": ', content_type="application/json"), 400, "parse_error")


@pytest.mark.parametrize("url", list(BODIES))
def test_a_form_body_is_415_json(client, url):
    response = send(client, url, "username=alice&password=x", content_type="application/x-www-form-urlencoded")
    assert_error(response, 415, "unsupported_media_type")


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/users/abc",
        "/api/v1/users/-1",
        "/api/v1/users/1.5",
        "/api/v1/users/0",
        "/api/v1/users/9223372036854775808",
        "/api/v1/users/99999999999999999999999999999999",
    ],
)
def test_bad_user_ids_in_urls_are_404_json(client, url):
    assert_error(client.get(url), 404, "not_found")


def test_a_null_character_is_refused(client):
    error = assert_error(client.patch("/api/v1/me", {"bio": "a\x00b"}, format="json"), 400)
    assert "bio" in error["fields"]


def test_a_wrong_method_is_405_json(client):
    assert_error(client.delete("/api/v1/me"), 405, "method_not_allowed")
