import pytest
from rest_framework.test import APIClient

from accounts.models import Device
from testkit.api import assert_error, token_client
from testkit.factories import PASSWORD

pytestmark = pytest.mark.django_db


def post_login(client, username, password):
    return client.post("/api/v1/auth/login", {"username": username, "password": password}, format="json")


def test_login_returns_a_token_that_works_on_an_authenticated_endpoint(make_user, api_client):
    user = make_user("alice")
    response = post_login(api_client, "alice", PASSWORD)
    assert response.status_code == 200
    body = response.json()
    assert body["user"]["id"] == user.id
    assert token_client(body["token"]).get("/api/v1/me").json()["username"] == "alice"


def test_login_ignores_username_case(make_user, api_client):
    make_user("Alice")
    assert post_login(api_client, "aLICE", PASSWORD).status_code == 200


def test_login_also_opens_a_session_for_the_browser(make_user, api_client):
    make_user("alice")
    post_login(api_client, "alice", PASSWORD)
    assert api_client.get("/api/v1/me").status_code == 200


def test_login_needs_no_csrf_token(make_user):
    make_user("alice")
    client = APIClient(enforce_csrf_checks=True)
    assert post_login(client, "alice", PASSWORD).status_code == 200


def test_session_writes_still_need_the_csrf_token(make_user):
    make_user("alice")
    client = APIClient(enforce_csrf_checks=True)
    post_login(client, "alice", PASSWORD)
    response = client.patch("/api/v1/me", {"bio": "x"}, format="json")
    assert_error(response, 403)


def test_wrong_password_and_unknown_user_get_the_same_answer(make_user, api_client):
    make_user("alice")
    wrong_password = post_login(api_client, "alice", "not-the-password")
    unknown_user = post_login(api_client, "nobody", PASSWORD)
    assert_error(wrong_password, 400, "invalid_credentials")
    assert wrong_password.json() == unknown_user.json()
    assert wrong_password.status_code == unknown_user.status_code


def test_an_inactive_user_is_told_the_account_is_disabled_only_with_the_right_password(make_user, api_client):
    make_user("alice", is_active=False)
    assert_error(post_login(api_client, "alice", PASSWORD), 403, "account_disabled")
    assert_error(post_login(api_client, "alice", "not-the-password"), 400, "invalid_credentials")


def test_each_login_is_its_own_device_token(make_user, login):
    make_user("alice")
    _, first = login("alice")
    _, second = login("alice")
    assert first != second
    assert token_client(first).get("/api/v1/me").status_code == 200
    assert token_client(second).get("/api/v1/me").status_code == 200


def test_the_device_label_is_kept_with_its_token(make_user, login):
    user = make_user("alice")
    login("alice", device="Pixel 8")
    assert Device.objects.get(token__user=user).label == "Pixel 8"


def test_past_the_token_limit_the_least_recently_used_token_goes(make_user, login, settings):
    settings.REST_KNOX = {**settings.REST_KNOX, "TOKEN_LIMIT_PER_USER": 2}
    make_user("alice")
    tokens = [login("alice")[1] for _ in range(3)]
    assert_error(token_client(tokens[0]).get("/api/v1/me"), 401)
    assert token_client(tokens[1]).get("/api/v1/me").status_code == 200
    assert token_client(tokens[2]).get("/api/v1/me").status_code == 200


def test_logout_revokes_this_token_only(make_user, login):
    make_user("alice")
    _, this = login("alice")
    _, other = login("alice")
    response = token_client(this).post("/api/v1/auth/logout")
    assert response.status_code == 204
    assert_error(token_client(this).get("/api/v1/me"), 401)
    assert token_client(other).get("/api/v1/me").status_code == 200


def test_logout_ends_the_session(make_user, login):
    make_user("alice")
    browser, _ = login("alice")
    assert browser.post("/api/v1/auth/logout").status_code == 204
    assert_error(browser.get("/api/v1/me"), 401, "not_authenticated")


def test_logout_removes_the_device_label(make_user, login):
    make_user("alice")
    _, token = login("alice", device="laptop")
    token_client(token).post("/api/v1/auth/logout")
    assert not Device.objects.exists()


def test_logout_all_revokes_every_token_and_every_session(make_user, login):
    make_user("alice")
    browser, _ = login("alice")
    _, phone = login("alice")
    _, tablet = login("alice")
    assert token_client(phone).post("/api/v1/auth/logout-all").status_code == 204
    assert_error(token_client(phone).get("/api/v1/me"), 401)
    assert_error(token_client(tablet).get("/api/v1/me"), 401)
    assert_error(browser.get("/api/v1/me"), 401)


def test_logging_in_again_after_logout_all_works(make_user, login):
    make_user("alice")
    _, token = login("alice")
    token_client(token).post("/api/v1/auth/logout-all")
    browser, token = login("alice")
    assert browser.get("/api/v1/me").status_code == 200
    assert token_client(token).get("/api/v1/me").status_code == 200


def test_a_made_up_token_is_401(api_client):
    assert_error(token_client("f" * 64).get("/api/v1/me"), 401, "authentication_failed")
