"""Passkeys (WebAuthn) as a second factor: registration and sign-in checked by py_webauthn against a
software authenticator with a real key, and each way an answer must be refused."""

import pytest
from knox.models import AuthToken
from rest_framework.test import APIClient

from accounts import two_factor
from accounts.models import Passkey
from accounts.tests.soft_authenticator import SoftAuthenticator
from testkit.api import assert_error
from testkit.factories import PASSWORD

pytestmark = pytest.mark.django_db


def signed_in(user):
    client = APIClient()
    client.force_login(user)  # a browser session: the ceremony's challenge lives in it
    return client


def register(client, authenticator, name="Laptop", **answer):
    options = client.post("/api/v1/me/passkeys/options").json()
    credential = authenticator.create(options, **answer)
    return client.post("/api/v1/me/passkeys", {"name": name, "credential": credential}, format="json")


@pytest.fixture
def holder(make_user):
    """pia with one passkey: (user, authenticator, recovery codes)."""
    user = make_user("pia")
    authenticator = SoftAuthenticator()
    response = register(signed_in(user), authenticator)
    assert response.status_code == 201, response.json()
    return user, authenticator, response.json()["recovery_codes"]


def password_step(client, username="pia"):
    response = client.post("/api/v1/auth/login", {"username": username, "password": PASSWORD}, format="json")
    assert response.status_code == 202, response.json()
    return response.json()


def passkey_step(client, challenge, authenticator, **answer):
    options = client.post("/api/v1/auth/login/passkey-options", {"challenge": challenge}, format="json").json()
    credential = authenticator.get(options, **answer)
    return client.post("/api/v1/auth/login/two-factor", {"challenge": challenge, "passkey": credential}, format="json")


def test_a_first_passkey_turns_two_factor_on_with_recovery_codes_and_is_listed(holder):
    user, _, codes = holder
    assert len(codes) == 10
    client = signed_in(user)
    status = client.get("/api/v1/me/two-factor").json()
    assert (status["enabled"], status["authenticator_app"], status["passkeys"]) == (True, False, 1)
    [listed] = client.get("/api/v1/me/passkeys").json()["results"]
    assert (listed["name"], listed["last_used_at"]) == ("Laptop", None)
    assert register(client, SoftAuthenticator(), name="Key").json()["recovery_codes"] == []  # not again


def test_sign_in_with_the_password_then_the_passkey_and_the_use_count_is_kept(holder):
    _, authenticator, _ = holder
    client = APIClient()
    challenge = password_step(client)
    assert challenge["passkey"] is True
    response = passkey_step(client, challenge["challenge"], authenticator)
    assert response.status_code == 200, response.json()
    assert AuthToken.objects.filter(user=holder[0]).exists()
    assert Passkey.objects.get().sign_count == 1
    # and every later sign-in goes through the same step
    assert passkey_step(APIClient(), password_step(client)["challenge"], authenticator).status_code == 200


def test_an_answer_made_for_another_site_is_refused(holder):
    _, authenticator, _ = holder
    client = APIClient()
    response = passkey_step(client, password_step(client)["challenge"], authenticator, origin="https://evil.example")
    assert_error(response, 400, "invalid_passkey")
    assert not AuthToken.objects.exists()


def test_an_answer_to_another_challenge_is_refused_and_a_challenge_is_good_once(holder):
    _, authenticator, _ = holder
    client = APIClient()
    challenge = password_step(client)["challenge"]
    stale = client.post("/api/v1/auth/login/passkey-options", {"challenge": challenge}, format="json").json()
    response = passkey_step(client, challenge, authenticator)  # asks new options: the stale ones are void
    assert response.status_code == 200
    replay = authenticator.get(stale)
    again = client.post("/api/v1/auth/login/two-factor", {"challenge": challenge, "passkey": replay}, format="json")
    assert_error(again, 400, "invalid_challenge")  # the session's challenge was spent
    other = APIClient()
    fresh = password_step(other)["challenge"]
    other.post("/api/v1/auth/login/passkey-options", {"challenge": fresh}, format="json")
    wrong = other.post("/api/v1/auth/login/two-factor", {"challenge": fresh, "passkey": replay}, format="json")
    assert_error(wrong, 400, "invalid_passkey")
    assert AuthToken.objects.count() == 1


def test_a_use_count_that_does_not_grow_means_a_cloned_authenticator_and_is_refused(holder):
    _, authenticator, _ = holder
    client = APIClient()
    assert passkey_step(client, password_step(client)["challenge"], authenticator).status_code == 200
    cloned = passkey_step(client, password_step(client)["challenge"], authenticator, count_up=False)
    assert_error(cloned, 400, "invalid_passkey")
    assert Passkey.objects.get().sign_count == 1


def test_another_users_passkey_does_not_sign_in(holder, make_user):
    _, authenticator, _ = holder
    other = make_user("quin")
    register(signed_in(other), SoftAuthenticator())
    client = APIClient()
    challenge = password_step(client, "quin")["challenge"]
    options = client.post("/api/v1/auth/login/passkey-options", {"challenge": challenge}, format="json").json()
    options["allowCredentials"] = []  # pia's authenticator answers anyway
    answer = authenticator.get(options)
    response = client.post("/api/v1/auth/login/two-factor", {"challenge": challenge, "passkey": answer}, format="json")
    assert_error(response, 400, "invalid_passkey")


def test_a_registration_for_another_site_or_without_options_stores_nothing(make_user):
    client = signed_in(make_user("rex"))
    assert_error(register(client, SoftAuthenticator(), origin="https://evil.example"), 400, "invalid_passkey")
    options = {"challenge": "bm90LWEtY2hhbGxlbmdl"}
    no_options = {"name": "x", "credential": SoftAuthenticator().create(options)}
    assert_error(client.post("/api/v1/me/passkeys", no_options, format="json"), 400, "invalid_challenge")
    assert not Passkey.objects.exists()


def test_a_code_still_works_and_a_step_needs_exactly_one_of_code_or_passkey(holder):
    _, _, codes = holder
    client = APIClient()
    challenge = password_step(client)["challenge"]
    both = {"challenge": challenge, "code": codes[0], "passkey": {}}
    assert_error(client.post("/api/v1/auth/login/two-factor", both, format="json"), 400, "invalid")
    recovery = {"challenge": challenge, "code": codes[0]}
    assert client.post("/api/v1/auth/login/two-factor", recovery, format="json").status_code == 200


def test_removing_the_last_passkey_needs_the_password_and_turns_two_factor_off(holder):
    user, _, _ = holder
    client = signed_in(user)
    passkey = Passkey.objects.get()
    url = f"/api/v1/me/passkeys/{passkey.pk}/remove"
    assert_error(client.post(url, {"password": "wrong-password"}, format="json"), 400, "invalid")
    assert client.post(url, {"password": PASSWORD}, format="json").status_code == 204
    assert not two_factor.is_enabled(user)
    assert two_factor.status_of(user)["recovery_codes_left"] == 0
    assert (
        APIClient().post("/api/v1/auth/login", {"username": "pia", "password": PASSWORD}, format="json").status_code
        == 200
    )


def test_nobody_removes_or_sees_another_users_passkey(holder, make_user):
    client = signed_in(make_user("sam"))
    passkey = Passkey.objects.get()
    response = client.post(f"/api/v1/me/passkeys/{passkey.pk}/remove", {"password": PASSWORD}, format="json")
    assert_error(response, 404, "not_found")
    assert client.get("/api/v1/me/passkeys").json() == {"results": []}
