import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.selectors import search_users
from graph.actions import do_block
from testkit.api import assert_error

pytestmark = pytest.mark.django_db


@pytest.fixture
def me(make_user, api_client):
    user = make_user("searcher")
    api_client.force_authenticate(user)
    return user


def search(client, **params):
    return client.get("/api/v1/users", params)


def usernames(response):
    assert response.status_code == 200, response.json()
    return [user["username"] for user in response.json()["results"]]


def test_search_by_username_prefix_ignores_case(me, api_client, make_user):
    for name in ("alice", "Alfred", "bob", "malice"):
        make_user(name)
    assert usernames(search(api_client, q="AL")) == ["Alfred", "alice"]


def test_search_by_display_name_prefix(me, api_client, make_user):
    make_user("u1", display_name="Zoë Quinn")
    make_user("u2", display_name="quentin")
    make_user("u3", display_name="Ann Quill")
    assert usernames(search(api_client, q="qu")) == ["u2"]
    assert usernames(search(api_client, q="zoë")) == ["u1"]


def test_username_matches_come_before_display_name_matches(me, api_client, make_user):
    make_user("aaron", display_name="Sam")
    make_user("zed", display_name="sam the builder")
    make_user("samuel")
    assert usernames(search(api_client, q="sam")) == ["samuel", "aaron", "zed"]


def test_search_results_are_public_profiles_without_email(me, api_client, make_user):
    make_user("alice", email="alice@example.com")
    result = search(api_client, q="ali").json()["results"][0]
    assert set(result) == {"id", "username", "display_name", "avatar_url", "bio", "status_text", "is_bot"}


def test_a_leading_at_sign_is_ignored(me, api_client, make_user):
    make_user("alice")
    assert usernames(search(api_client, q="@ali")) == ["alice"]


def test_like_wildcards_in_q_match_literally(me, api_client, make_user):
    make_user("a_b")
    make_user("axb")
    make_user("a%c")
    assert usernames(search(api_client, q="a_")) == ["a_b"]
    assert usernames(search(api_client, q="a%")) == ["a%c"]


def test_search_excludes_inactive_users(me, api_client, make_user):
    make_user("alice")
    make_user("alina", is_active=False)
    assert usernames(search(api_client, q="al")) == ["alice"]


def test_search_excludes_users_who_blocked_the_searcher(me, api_client, make_user):
    blocker = make_user("alice")
    make_user("alina")
    do_block(blocker, me)
    assert usernames(search(api_client, q="al")) == ["alina"]


def test_search_still_shows_users_the_searcher_blocked(me, api_client, make_user):
    alice = make_user("alice")
    do_block(me, alice)
    assert usernames(search(api_client, q="al")) == ["alice"]


def test_limit_defaults_to_20_and_caps_the_results(me, api_client, make_user):
    for i in range(55):
        make_user(f"user{i:02}")
    assert len(usernames(search(api_client, q="user"))) == 20
    assert len(usernames(search(api_client, q="user", limit=1))) == 1
    assert len(usernames(search(api_client, q="user", limit=50))) == 50


@pytest.mark.parametrize("limit", ["0", "51", "-1", "ten", "1.5", "99999999999999999999"])
def test_limit_out_of_range_is_400_on_limit(me, api_client, limit):
    error = assert_error(search(api_client, q="a", limit=limit), 400, "invalid")
    assert "limit" in error["fields"]


@pytest.mark.parametrize("params", [{}, {"q": ""}, {"q": "   "}, {"q": "@"}, {"q": "x" * 65}])
def test_q_is_required_and_1_to_64_characters(me, api_client, params):
    error = assert_error(search(api_client, **params), 400, "invalid")
    assert "q" in error["fields"]


def test_search_costs_two_queries(me, make_user, django_assert_num_queries):
    for i in range(30):
        make_user(f"user{i:02}")
    blocker = make_user("userblocker")
    do_block(blocker, me)
    with django_assert_num_queries(2):
        search_users(me.id, "user", limit=50)


def test_search_endpoint_query_count_does_not_grow_with_results(me, api_client, make_user):
    make_user("lonely")

    def count(q):
        with CaptureQueriesContext(connection) as queries:
            assert search(api_client, q=q, limit=50).status_code == 200
        return len(queries)

    one = count("lonely")
    for i in range(40):
        make_user(f"many{i:02}")
    assert count("many") == one
