"""Display names can't hide characters, and a password can't be only spaces."""

import pytest

from testkit.api import assert_error
from testkit.factories import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(make_user, api_client):
    api_client.force_authenticate(make_user("alice"))
    return api_client


@pytest.mark.parametrize(
    "name",
    [
        "evil\u202egnp.exe",  # right-to-left override
        "\u202aAlice",
        "Alice\u2066",
        "Al\u2069ice",
        "al\u200bice",  # zero-width space
        "al\u200cice",
        "al\u200dice",  # a zero-width joiner between letters
        "alice\ufeff",
        "al\u2060ice",
        "tab\there",
        "bell\x07",
    ],
)
def test_display_names_refuse_bidi_zero_width_and_control_characters(client, api_client, name):
    error = assert_error(client.patch("/api/v1/me", {"display_name": name}, format="json"), 400)
    assert "display_name" in error["fields"]
    body = {"username": "newbie", "password": PASSWORD, "display_name": name}
    error = assert_error(api_client.post("/api/v1/auth/register", body, format="json"), 400)
    assert "display_name" in error["fields"]


@pytest.mark.parametrize("name", ["Zoë", "Алиса", "أليس", "李", "Dev 👩\u200d💻", "Ana 👍🏽"])
def test_display_names_in_any_script_and_emoji_are_fine(client, name):
    response = client.patch("/api/v1/me", {"display_name": name}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["display_name"] == name


@pytest.mark.parametrize("password", [" " * 12, "\t" * 12, " \u3000" * 8])
def test_whitespace_only_passwords_are_refused(api_client, password):
    body = {"username": "newbie", "password": password}
    error = assert_error(api_client.post("/api/v1/auth/register", body, format="json"), 400)
    assert "password" in error["fields"]


def test_common_and_similar_passwords_are_refused(api_client):
    for username, password in [("newbie", "password123"), ("quartermaster", "quartermaster1")]:
        body = {"username": username, "password": password}
        error = assert_error(api_client.post("/api/v1/auth/register", body, format="json"), 400)
        assert "password" in error["fields"]


def test_a_whitespace_only_new_password_is_refused(client):
    body = {"old_password": PASSWORD, "new_password": " " * 20}
    error = assert_error(client.post("/api/v1/auth/password", body, format="json"), 400)
    assert "new_password" in error["fields"]
