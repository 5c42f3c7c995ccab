import pytest

from streaming.models import OutboxEvent
from testkit.api import assert_error

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice(make_user, api_client):
    user = make_user("alice", email="alice@example.com")
    api_client.force_authenticate(user)
    return user


def patch(client, body):
    return client.patch("/api/v1/me", body, format="json")


def test_me_shows_the_own_profile_with_email(alice, api_client):
    body = api_client.get("/api/v1/me").json()
    assert body["username"] == "alice"
    assert body["email"] == "alice@example.com"


def test_profile_edit_saves_the_fields_and_answers_with_the_profile(alice, api_client):
    changes = {
        "display_name": "Alice Liddell",
        "avatar_url": "https://cdn.example.com/a.png",
        "bio": "b" * 500,
        "status_text": "s" * 140,
    }
    response = patch(api_client, changes)
    assert response.status_code == 200, response.json()
    assert {k: response.json()[k] for k in changes} == changes
    alice.refresh_from_db()
    assert alice.display_name == "Alice Liddell"


def test_profile_fields_may_be_cleared(alice, api_client):
    patch(api_client, {"bio": "hello"})
    assert patch(api_client, {"bio": ""}).json()["bio"] == ""


def test_profile_edit_emits_user_updated_with_the_changed_fields(alice, api_client):
    patch(api_client, {"display_name": "Al", "bio": ""})
    event = OutboxEvent.objects.get(type="user.updated")
    assert event.key == str(alice.id)
    assert event.payload == {"user_id": alice.id, "changed": {"display_name": "Al"}}


def test_profile_edit_that_changes_nothing_emits_nothing(alice, api_client):
    assert patch(api_client, {}).status_code == 200
    assert patch(api_client, {"bio": ""}).status_code == 200
    assert not OutboxEvent.objects.filter(type="user.updated").exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("display_name", "d" * 65),
        ("bio", "b" * 501),
        ("status_text", "s" * 141),
        ("avatar_url", "a" * 10),
        ("avatar_url", "javascript:alert(1)"),
        ("avatar_url", "ftp://example.com/a.png"),
        ("avatar_url", "data:image/png;base64,AAAA"),
        ("avatar_url", "https://example.com/" + "a" * 500),
    ],
)
def test_profile_edit_validation_is_400_on_the_field(alice, api_client, field, value):
    error = assert_error(patch(api_client, {field: value}), 400)
    assert field in error["fields"]
    alice.refresh_from_db()
    assert getattr(alice, field) == ""


def test_unknown_profile_fields_are_400_listing_them(alice, api_client):
    error = assert_error(patch(api_client, {"bio": "x", "colour": "red", "age": 3}), 400, "unknown_fields")
    assert set(error["fields"]) == {"colour", "age"}
    alice.refresh_from_db()
    assert alice.bio == ""


@pytest.mark.parametrize("field", ["username", "password", "email", "is_staff", "id"])
def test_account_fields_cannot_be_edited_through_the_profile(alice, api_client, field):
    error = assert_error(patch(api_client, {field: "x"}), 400, "unknown_fields")
    assert field in error["fields"]
    alice.refresh_from_db()
    assert alice.username == "alice" and not alice.is_staff


def test_public_profile_shows_public_fields_and_never_email(alice, api_client, make_user):
    bob = make_user("bob", email="bob@example.com", display_name="Bob", bio="hi", status_text="away")
    response = api_client.get(f"/api/v1/users/{bob.id}")
    assert response.status_code == 200
    assert response.json() == {
        "id": bob.id,
        "username": "bob",
        "display_name": "Bob",
        "avatar_url": None,
        "bio": "hi",
        "status_text": "away",
        "is_bot": False,
    }


def test_public_profile_of_an_unknown_user_is_404(alice, api_client):
    assert_error(api_client.get("/api/v1/users/987654"), 404, "not_found")


def test_public_profile_of_an_inactive_user_is_404(alice, api_client, make_user):
    gone = make_user("gone", is_active=False)
    assert_error(api_client.get(f"/api/v1/users/{gone.id}"), 404, "not_found")
