import pytest
from django.db import IntegrityError, transaction

from accounts.models import User
from streaming.models import OutboxEvent
from testkit.api import assert_error, token_client
from testkit.factories import PASSWORD

URL = "/api/v1/auth/register"
pytestmark = pytest.mark.django_db


def register(client, **body):
    body.setdefault("password", PASSWORD)
    return client.post(URL, body, format="json")


def test_register_returns_201_with_the_user_and_a_working_token(api_client):
    response = register(api_client, username="alice", email="Alice@Example.COM", display_name="Alice L.")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["user"]["username"] == "alice"
    assert body["user"]["display_name"] == "Alice L."
    assert body["user"]["email"] == "Alice@example.com"
    assert body["expiry"]
    me = token_client(body["token"]).get("/api/v1/me")
    assert me.status_code == 200
    assert me.json()["id"] == body["user"]["id"]


def test_register_stores_a_hashed_password_that_logs_in(api_client):
    register(api_client, username="alice")
    user = User.objects.get(username="alice")
    assert user.password != PASSWORD
    assert user.check_password(PASSWORD)


def test_register_emits_user_registered(api_client):
    user_id = register(api_client, username="alice").json()["user"]["id"]
    event = OutboxEvent.objects.get(type="user.registered")
    assert event.key == str(user_id)
    assert event.payload == {"user_id": user_id, "username": "alice"}


def test_register_opens_a_browser_session_too(api_client):
    register(api_client, username="alice")
    assert api_client.get("/api/v1/me").status_code == 200  # session cookie, no token


def test_email_and_display_name_are_optional(api_client):
    response = register(api_client, username="bob")
    assert response.status_code == 201
    assert response.json()["user"]["email"] is None  # null when unset, as the schema says


@pytest.mark.parametrize(
    ("password", "expected"),
    [
        ("short1!", "This password is too short"),
        ("password123", "This password is too common."),
        ("4815162342", "This password is entirely numeric."),
        ("alice-wonder", "The password is too similar to the username."),
    ],
)
def test_password_validator_messages_come_back_under_fields_password(api_client, password, expected):
    error = assert_error(register(api_client, username="alice-wonder", password=password), 400, "invalid")
    assert any(message.startswith(expected) for message in error["fields"]["password"]), error
    assert not User.objects.exists()


def test_every_failing_field_is_reported_at_once(api_client):
    error = assert_error(register(api_client, username="a b", password="123", email="not-an-email"), 400)
    assert set(error["fields"]) == {"username", "password", "email"}


def test_duplicate_username_is_400_on_username_ignoring_case(api_client, make_user):
    make_user("alice")
    error = assert_error(register(api_client, username="ALICE"), 400, "invalid")
    assert error["fields"]["username"] == ["A user with that username already exists."]
    assert User.objects.count() == 1


@pytest.mark.parametrize("username", ["a.b-c_9", "abc", "Z" * 32, "Bob_The.Builder-2"])
def test_valid_usernames_are_accepted(api_client, username):
    assert register(api_client, username=username).status_code == 201


@pytest.mark.parametrize(
    "username",
    ["ab", "x" * 33, "has space", "at@sign", "mail@example.com", "ünï", "tab\tname", "emoji😀", " alice", "", "a+b"],
)
def test_invalid_usernames_are_400_on_username(api_client, username):
    error = assert_error(register(api_client, username=username), 400)
    assert "username" in error["fields"]
    assert not User.objects.exists()


def test_the_database_refuses_usernames_that_differ_only_in_case(make_user):
    make_user("alice")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user("Alice", password=PASSWORD)
