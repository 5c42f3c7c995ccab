import pytest

from accounts.models import User
from streaming.models import OutboxEvent
from testkit.factories import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, make_user):
    admin = make_user("root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    return client


def test_admin_user_search_finds_by_display_name(admin_client, make_user):
    make_user("bob", display_name="Roberto")
    response = admin_client.get("/admin/accounts/user/", {"q": "robert"})
    assert response.status_code == 200
    assert b"bob" in response.content


def test_a_user_added_in_the_admin_is_announced(admin_client):
    response = admin_client.post(
        "/admin/accounts/user/add/",
        {"username": "carol", "password1": PASSWORD, "password2": PASSWORD, "usable_password": "true"},
    )
    assert response.status_code == 302, response.content
    carol = User.objects.get(username="carol")
    assert OutboxEvent.objects.get(type="user.registered").payload == {"user_id": carol.id, "username": "carol"}


def test_the_admin_refuses_usernames_the_api_refuses(admin_client):
    response = admin_client.post(
        "/admin/accounts/user/add/",
        {"username": "has@sign", "password1": PASSWORD, "password2": PASSWORD, "usable_password": "true"},
    )
    assert response.status_code == 200  # the form again, with the error
    assert not User.objects.filter(username="has@sign").exists()


def test_a_profile_edited_in_the_admin_is_announced(admin_client, make_user):
    bob = make_user("bob")
    form = admin_client.get(f"/admin/accounts/user/{bob.id}/change/").context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None and name != "password"}
    data.update(
        {
            "display_name": "Bobby",
            "date_joined_0": bob.date_joined.strftime("%Y-%m-%d"),
            "date_joined_1": bob.date_joined.strftime("%H:%M:%S"),
        }
    )
    data.pop("date_joined", None)
    data.pop("last_login", None)
    data["groups"] = []
    data["user_permissions"] = []
    response = admin_client.post(f"/admin/accounts/user/{bob.id}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    event = OutboxEvent.objects.get(type="user.updated")
    assert event.payload == {"user_id": bob.id, "changed": {"display_name": "Bobby"}}
    assert event.actor_id != bob.id
