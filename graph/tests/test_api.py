"""The REST API under /api/v1/graph/: thin views over graph.actions and graph.selectors."""

import itertools
import socket

import pytest
from rest_framework.test import APIClient

from chats.actions import do_create_conversation
from graph import actions
from graph.models import Follow, FriendRequest, Friendship

pytestmark = pytest.mark.django_db

API = "/api/v1/graph"
PROFILE_KEYS = {"id", "username", "display_name", "avatar_url", "bio", "status_text", "is_bot"}


@pytest.fixture
def me(make_user):
    return make_user("me")


@pytest.fixture
def ann(make_user):
    return make_user("ann")


@pytest.fixture
def client(client_for, me):
    return client_for(me)


def error_code(response, status_code):
    assert response.status_code == status_code, response.content
    assert set(response.json()["error"]) == {"code", "message", "fields"}
    return response.json()["error"]["code"]


def befriend(a, b):
    actions.do_send_friend_request(a, b)
    actions.do_accept_friend_request(b, a)


# --- follows ---


def test_follow_is_201_then_200_and_shows_in_both_lists(client, client_for, me, ann):
    first = client.put(f"{API}/following/{ann.id}")
    assert first.status_code == 201
    assert first.json()["user"]["username"] == "ann" and set(first.json()["user"]) == PROFILE_KEYS
    assert client.put(f"{API}/following/{ann.id}").status_code == 200
    assert [c["user"]["id"] for c in client.get(f"{API}/following").json()["results"]] == [ann.id]
    assert [c["user"]["id"] for c in client_for(ann).get(f"{API}/followers").json()["results"]] == [me.id]


def test_unfollow_is_204_and_idempotent(client, me, ann):
    client.put(f"{API}/following/{ann.id}")
    assert client.delete(f"{API}/following/{ann.id}").status_code == 204
    assert client.delete(f"{API}/following/{ann.id}").status_code == 204
    assert not Follow.objects.exists()


def test_follow_errors(client, me, ann, make_user):
    assert error_code(client.put(f"{API}/following/{me.id}"), 400) == "cannot_follow_self"
    actions.do_block(ann, me)
    assert error_code(client.put(f"{API}/following/{ann.id}"), 403) == "blocked"
    gone = make_user("gone", is_active=False)
    assert error_code(client.put(f"{API}/following/{gone.id}"), 404) == "not_found"
    assert error_code(client.put(f"{API}/following/987654"), 404) == "not_found"
    assert not Follow.objects.exists()


def test_lists_page_newest_first_with_a_cursor(client, me, make_user):
    others = [make_user() for _ in range(5)]
    for other in others:
        actions.do_follow(me, other)
    first = client.get(f"{API}/following", {"limit": 2}).json()
    assert [c["user"]["id"] for c in first["results"]] == [others[4].id, others[3].id]
    second = client.get(f"{API}/following", {"limit": 2, "cursor": first["next_cursor"]}).json()
    assert [c["user"]["id"] for c in second["results"]] == [others[2].id, others[1].id]
    last = client.get(f"{API}/following", {"limit": 2, "cursor": second["next_cursor"]}).json()
    assert [c["user"]["id"] for c in last["results"]] == [others[0].id]
    assert last["next_cursor"] is None


def test_lists_leave_out_deactivated_users(client, me, make_user):
    gone = make_user("gone")
    actions.do_follow(me, gone)
    gone.is_active = False
    gone.save()
    assert client.get(f"{API}/following").json() == {"results": [], "next_cursor": None}


def test_a_list_costs_the_same_queries_for_one_row_or_many(client, me, make_user, django_assert_max_num_queries):
    for _ in range(30):
        befriend(me, make_user())
    with django_assert_max_num_queries(1):
        assert len(client.get(f"{API}/friends").json()["results"]) == 30


@pytest.mark.parametrize("query", [{"limit": "0"}, {"limit": "201"}, {"limit": "x"}, {"cursor": "-3"}, {"cursor": "a"}])
@pytest.mark.parametrize(
    "url", ["following", "followers", "friends", "friend-requests/incoming", "friend-requests/outgoing"]
)
def test_bad_page_parameters_are_400(client, url, query):
    assert error_code(client.get(f"{API}/{url}", query), 400) == "invalid"


# --- friend requests and friends ---


def test_request_accept_then_friends_on_both_sides(client, client_for, me, ann):
    sent = client.put(f"{API}/friend-requests/outgoing/{ann.id}")
    assert sent.status_code == 201 and sent.json()["status"] == "pending"
    assert client.put(f"{API}/friend-requests/outgoing/{ann.id}").status_code == 200
    assert [c["user"]["id"] for c in client.get(f"{API}/friend-requests/outgoing").json()["results"]] == [ann.id]
    ann_client = client_for(ann)
    assert [c["user"]["id"] for c in ann_client.get(f"{API}/friend-requests/incoming").json()["results"]] == [me.id]
    accepted = ann_client.post(f"{API}/friend-requests/incoming/{me.id}/accept")
    assert accepted.status_code == 200 and accepted.json()["user"]["id"] == me.id
    assert ann_client.post(f"{API}/friend-requests/incoming/{me.id}/accept").status_code == 200
    assert [c["user"]["id"] for c in client.get(f"{API}/friends").json()["results"]] == [ann.id]
    assert [c["user"]["id"] for c in ann_client.get(f"{API}/friends").json()["results"]] == [me.id]
    assert client.get(f"{API}/friend-requests/outgoing").json()["results"] == []


def test_asking_back_accepts(client, me, ann):
    actions.do_send_friend_request(ann, me)
    response = client.put(f"{API}/friend-requests/outgoing/{ann.id}")
    assert response.status_code == 201 and response.json()["status"] == "friends"
    assert Friendship.objects.filter(user=me, friend=ann).exists()


def test_decline_cancel_and_unfriend_are_204_and_idempotent(client, client_for, me, ann, make_user):
    actions.do_send_friend_request(ann, me)
    for _ in range(2):
        assert client.post(f"{API}/friend-requests/incoming/{ann.id}/decline").status_code == 204
    ben = make_user("ben")
    actions.do_send_friend_request(me, ben)
    for _ in range(2):
        assert client.delete(f"{API}/friend-requests/outgoing/{ben.id}").status_code == 204
    assert not FriendRequest.objects.exists()
    befriend(me, ann)
    for _ in range(2):
        assert client.delete(f"{API}/friends/{ann.id}").status_code == 204
    assert not Friendship.objects.exists()


def test_friend_request_errors(client, me, ann, make_user):
    assert error_code(client.put(f"{API}/friend-requests/outgoing/{me.id}"), 400) == "cannot_friend_self"
    assert error_code(client.post(f"{API}/friend-requests/incoming/{ann.id}/accept"), 404) == "no_request"
    befriend(me, ann)
    assert error_code(client.put(f"{API}/friend-requests/outgoing/{ann.id}"), 409) == "already_friends"
    cat = make_user("cat")
    actions.do_block(me, cat)
    assert error_code(client.put(f"{API}/friend-requests/outgoing/{cat.id}"), 403) == "blocked"
    assert error_code(client.put(f"{API}/friend-requests/outgoing/987654"), 404) == "not_found"
    assert error_code(client.post(f"{API}/friend-requests/incoming/987654/accept"), 404) == "not_found"


# --- suggestions and paths ---


def test_suggestions_give_profiles_counts_and_a_reason(backend, deliver, client, me, ann, make_user):
    ben, cat = make_user("ben"), make_user("cat")
    befriend(me, ann)
    befriend(ann, ben)
    befriend(ann, cat)
    befriend(me, make_user("dan"))
    do_create_conversation(me, kind="group", title="g", member_ids=[cat.pk])
    deliver()
    body = client.get(f"{API}/suggestions").json()
    assert [
        (s["user"]["username"], s["mutual_friends"], s["shared_conversations"], s["reason"]) for s in body["results"]
    ] == [
        ("cat", 1, 1, "1 mutual friend · 1 shared conversation"),
        ("ben", 1, 0, "1 mutual friend"),
    ]
    assert set(body["results"][0]["user"]) == PROFILE_KEYS
    assert len(client.get(f"{API}/suggestions", {"limit": 1}).json()["results"]) == 1


@pytest.mark.parametrize("limit", ["0", "51", "many"])
def test_bad_suggestion_limits_are_400(client, limit):
    assert error_code(client.get(f"{API}/suggestions", {"limit": limit}), 400) == "invalid"


def test_path_gives_degrees_and_the_people_between(backend, deliver, client, me, make_user):
    a, b = make_user("a1"), make_user("b1")
    befriend(me, a)
    befriend(a, b)
    deliver()
    body = client.get(f"{API}/path/{b.id}").json()
    assert body["degrees"] == 2
    assert [p["username"] for p in body["path"]] == ["me", "a1", "b1"]
    to_myself = client.get(f"{API}/path/{me.id}").json()
    assert to_myself == {"degrees": 0, "path": body["path"][:1]}


def test_path_beyond_four_hops_is_404_no_path(backend, deliver, client, me, make_user):
    people = [me] + [make_user() for _ in range(5)]
    for a, b in itertools.pairwise(people):
        befriend(a, b)
    deliver()
    assert client.get(f"{API}/path/{people[4].id}").json()["degrees"] == 4
    assert error_code(client.get(f"{API}/path/{people[5].id}"), 404) == "no_path"


def test_path_to_someone_who_blocked_me_or_unknown_is_404_not_found(client, me, ann):
    befriend(me, ann)
    actions.do_block(ann, me)
    assert error_code(client.get(f"{API}/path/{ann.id}"), 404) == "not_found"
    assert error_code(client.get(f"{API}/path/987654"), 404) == "not_found"
    assert error_code(client.get(f"{API}/path/0"), 404) == "not_found"


def test_an_unreachable_neo4j_is_a_503_json_error(client, settings):
    settings.GRAPH_BACKEND = "neo4j"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings.NEO4J_URL = f"bolt://127.0.0.1:{port}"
    assert error_code(client.get(f"{API}/suggestions"), 503) == "graph_unavailable"


# --- everyone ---

ENDPOINTS = [
    ("get", "following"),
    ("put", "following/1"),
    ("delete", "following/1"),
    ("get", "followers"),
    ("get", "friends"),
    ("delete", "friends/1"),
    ("get", "friend-requests/incoming"),
    ("get", "friend-requests/outgoing"),
    ("put", "friend-requests/outgoing/1"),
    ("delete", "friend-requests/outgoing/1"),
    ("post", "friend-requests/incoming/1/accept"),
    ("post", "friend-requests/incoming/1/decline"),
    ("get", "suggestions"),
    ("get", "path/1"),
]


@pytest.mark.parametrize(("method", "url"), ENDPOINTS)
def test_anonymous_is_401_json(method, url):
    assert error_code(getattr(APIClient(), method)(f"{API}/{url}"), 401) == "not_authenticated"


@pytest.mark.parametrize("user_id", ["abc", "-1", "1.5", "9223372036854775808", "1" * 40])
@pytest.mark.parametrize(("method", "url"), [(m, u.replace("/1", "/{}")) for m, u in ENDPOINTS if "/1" in u])
def test_bad_user_ids_in_urls_are_404_json(client, method, url, user_id):
    assert error_code(getattr(client, method)(f"{API}/{url.format(user_id)}"), 404) == "not_found"


def test_a_wrong_method_is_405_json(client):
    assert error_code(client.post(f"{API}/following"), 405) == "method_not_allowed"
    assert error_code(client.get(f"{API}/friend-requests/incoming/1/accept"), 405) == "method_not_allowed"


def test_follows_requests_and_friendships_are_listed_read_only_in_the_admin(me, ann, make_user):
    make_user("root", is_staff=True, is_superuser=True)
    actions.do_follow(me, ann)
    actions.do_send_friend_request(me, make_user("ben"))
    befriend(me, make_user("cat"))
    admin = APIClient()
    admin.login(username="root", password="plum-Orchard-42-violet")
    for model in ("follow", "friendrequest", "friendship"):
        page = admin.get(f"/admin/graph/{model}/")
        assert page.status_code == 200 and b"me" in page.content, model
        assert admin.get(f"/admin/graph/{model}/add/").status_code == 403


# --- dismissing a suggestion ---


def test_a_dismissed_suggestion_is_gone_from_the_list(backend, deliver, client, me, ann, make_user):
    ben, cat = make_user("ben"), make_user("cat")
    befriend(me, ann)
    befriend(ben, ann)
    befriend(cat, ann)
    deliver()
    assert client.post(f"{API}/suggestions/{ben.id}/dismiss").status_code == 204
    assert client.post(f"{API}/suggestions/{ben.id}/dismiss").status_code == 204  # again: still 204
    assert [s["user"]["id"] for s in client.get(f"{API}/suggestions").json()["results"]] == [cat.id]


def test_dismissing_myself_an_unknown_or_a_blocking_user_is_refused(client, me, ann):
    assert error_code(client.post(f"{API}/suggestions/{me.id}/dismiss"), 400) == "cannot_dismiss_self"
    assert error_code(client.post(f"{API}/suggestions/987654321/dismiss"), 404) == "not_found"
    actions.do_block(ann, me)
    assert error_code(client.post(f"{API}/suggestions/{ann.id}/dismiss"), 404) == "not_found"


def test_dismissing_needs_a_signed_in_user(client_for, ann):
    assert client_for(None).post(f"{API}/suggestions/{ann.id}/dismiss").status_code == 401
