import pytest
from rest_framework.test import APIClient

from accounts.models import Block
from accounts.selectors import is_blocked
from streaming.models import OutboxEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def bob(make_user):
    return make_user("bob", email="bob@example.com", display_name="Bob")


@pytest.fixture
def client(alice):
    api_client = APIClient()
    api_client.force_authenticate(alice)
    return api_client


def error_code(response, status_code):
    assert response.status_code == status_code, response.content
    return response.json()["error"]["code"]


def test_block_is_201_with_the_blocked_users_public_profile(client, alice, bob):
    response = client.put(f"/api/v1/blocks/{bob.id}")
    assert response.status_code == 201
    body = response.json()
    assert body["user"] == {
        "id": bob.id,
        "username": "bob",
        "display_name": "Bob",
        "avatar_url": None,
        "bio": "",
        "status_text": "",
        "is_bot": False,
    }
    assert body["created_at"]
    assert is_blocked(alice.id, bob.id)


def test_blocking_again_is_200_and_changes_nothing(client, bob):
    first = client.put(f"/api/v1/blocks/{bob.id}").json()
    again = client.put(f"/api/v1/blocks/{bob.id}")
    assert again.status_code == 200
    assert again.json() == first
    assert Block.objects.count() == 1
    assert OutboxEvent.objects.filter(type="graph.blocked").count() == 1


def test_list_shows_whom_i_blocked_newest_first(client, alice, bob, make_user):
    carol = make_user("carol")
    client.put(f"/api/v1/blocks/{bob.id}")
    client.put(f"/api/v1/blocks/{carol.id}")
    make_user("dave")
    response = client.get("/api/v1/blocks")
    assert response.status_code == 200
    assert [item["user"]["username"] for item in response.json()["results"]] == ["carol", "bob"]


def test_list_is_empty_without_blocks_and_ignores_blocks_of_me(client, alice, bob):
    Block.objects.create(blocker=bob, blocked=alice)
    assert client.get("/api/v1/blocks").json() == {"results": []}


def test_list_never_shows_email(client, bob):
    client.put(f"/api/v1/blocks/{bob.id}")
    assert "email" not in client.get("/api/v1/blocks").json()["results"][0]["user"]


def test_list_costs_the_same_queries_for_one_block_or_many(client, django_assert_max_num_queries, make_user):
    client.put(f"/api/v1/blocks/{make_user('one').id}")
    for i in range(20):
        client.put(f"/api/v1/blocks/{make_user(f'many{i}').id}")
    with django_assert_max_num_queries(1):
        assert len(client.get("/api/v1/blocks").json()["results"]) == 21


def test_unblock_is_204_and_idempotent(client, alice, bob):
    client.put(f"/api/v1/blocks/{bob.id}")
    assert client.delete(f"/api/v1/blocks/{bob.id}").status_code == 204
    assert client.delete(f"/api/v1/blocks/{bob.id}").status_code == 204
    assert not is_blocked(alice.id, bob.id)
    assert OutboxEvent.objects.filter(type="graph.unblocked").count() == 1


def test_unblocking_someone_never_blocked_is_204(client, bob):
    assert client.delete(f"/api/v1/blocks/{bob.id}").status_code == 204
    assert not OutboxEvent.objects.filter(type="graph.unblocked").exists()


def test_blocking_an_unknown_user_is_404_json(client):
    assert error_code(client.put("/api/v1/blocks/987654"), 404) == "not_found"
    assert error_code(client.delete("/api/v1/blocks/987654"), 404) == "not_found"
    assert not Block.objects.exists()


def test_blocking_yourself_is_400(client, alice):
    assert error_code(client.put(f"/api/v1/blocks/{alice.id}"), 400) == "cannot_block_self"
    assert not Block.objects.exists()


def test_an_inactive_user_can_still_be_blocked_and_unblocked(client, make_user):
    gone = make_user("gone", is_active=False)
    assert client.put(f"/api/v1/blocks/{gone.id}").status_code == 201
    assert client.delete(f"/api/v1/blocks/{gone.id}").status_code == 204


@pytest.mark.parametrize("user_id", ["abc", "-1", "1.5", "0", "9223372036854775808", "1" * 40, "%20"])
@pytest.mark.parametrize("method", ["put", "delete"])
def test_bad_user_ids_in_urls_are_404_json(client, method, user_id):
    assert error_code(getattr(client, method)(f"/api/v1/blocks/{user_id}"), 404) == "not_found"


@pytest.mark.parametrize(
    ("method", "url"), [("get", "/api/v1/blocks"), ("put", "/api/v1/blocks/1"), ("delete", "/api/v1/blocks/1")]
)
def test_anonymous_is_401_json(method, url):
    assert error_code(getattr(APIClient(), method)(url), 401) == "not_authenticated"


def test_post_to_blocks_is_405_json(client, bob):
    assert error_code(client.post(f"/api/v1/blocks/{bob.id}"), 405) == "method_not_allowed"


def test_blocks_are_listed_in_the_admin(alice, bob, make_user):
    make_user("root", is_staff=True, is_superuser=True)
    Block.objects.create(blocker=alice, blocked=bob)
    admin = APIClient()
    admin.login(username="root", password="plum-Orchard-42-violet")
    response = admin.get("/admin/accounts/block/")
    assert response.status_code == 200
    assert b"alice" in response.content and b"bob" in response.content
    assert admin.get("/admin/accounts/block/add/").status_code == 403
