import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from testkit.api import assert_error, token_client
from testkit.factories import PASSWORD

URL = "/api/v1/auth/password"
NEW_PASSWORD = "quartz-Lantern-77-meadow"
pytestmark = pytest.mark.django_db


def change(client, old=PASSWORD, new=NEW_PASSWORD):
    return client.post(URL, {"old_password": old, "new_password": new}, format="json")


def test_password_change_keeps_this_token_and_revokes_the_others(make_user, login):
    make_user("alice")
    browser, _ = login("alice")
    _, this = login("alice")
    _, other = login("alice")
    assert change(token_client(this)).status_code == 204
    assert token_client(this).get("/api/v1/me").status_code == 200
    assert_error(token_client(other).get("/api/v1/me"), 401)
    assert_error(browser.get("/api/v1/me"), 401)


def test_password_change_from_a_browser_keeps_its_session(make_user, login):
    make_user("alice")
    browser, _ = login("alice")
    _, phone = login("alice")
    assert change(browser).status_code == 204
    assert browser.get("/api/v1/me").status_code == 200
    assert_error(token_client(phone).get("/api/v1/me"), 401)


def test_only_the_new_password_logs_in_afterwards(make_user, login, api_client):
    make_user("alice")
    _, token = login("alice")
    change(token_client(token))
    old = api_client.post("/api/v1/auth/login", {"username": "alice", "password": PASSWORD}, format="json")
    assert_error(old, 400, "invalid_credentials")
    login("alice", password=NEW_PASSWORD)


def test_wrong_old_password_is_400_on_old_password(make_user, login):
    make_user("alice")
    _, token = login("alice")
    error = assert_error(change(token_client(token), old="guess-1234-abcd"), 400)
    assert "old_password" in error["fields"]
    assert get_user_model().objects.get(username="alice").check_password(PASSWORD)


def test_weak_new_password_is_400_with_validator_messages(make_user, login):
    make_user("alice")
    _, token = login("alice")
    error = assert_error(change(token_client(token), new="12345678"), 400)
    assert "This password is entirely numeric." in error["fields"]["new_password"]


def test_password_change_without_csrf_from_a_session_is_refused(make_user):
    make_user("alice")
    browser = APIClient(enforce_csrf_checks=True)
    browser.post("/api/v1/auth/login", {"username": "alice", "password": PASSWORD}, format="json")
    assert_error(change(browser), 403)
