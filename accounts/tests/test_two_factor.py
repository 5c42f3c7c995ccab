import datetime
import time
import uuid

import pyotp
import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from knox.models import AuthToken
from rest_framework.test import APIClient

from accounts import two_factor
from accounts.models import RecoveryCode, TwoFactor
from streaming.models import OutboxEvent
from testkit.api import assert_error, token_client
from testkit.factories import PASSWORD

pytestmark = pytest.mark.django_db

START = datetime.datetime(2026, 5, 4, 12, 0, 0, tzinfo=datetime.UTC)


@pytest.fixture
def clock(monkeypatch):
    """The clock two-factor codes are checked against, held still; `clock.tick()` moves it one
    30-second step, so that each test has fresh codes and none rolls over by chance."""

    class Clock:
        now = START

        def tick(self, steps=1):
            self.now += datetime.timedelta(seconds=30 * steps)

    held = Clock()
    monkeypatch.setattr(two_factor, "_now", lambda: held.now)
    return held


def code(secret, clock):
    return pyotp.TOTP(secret).at(clock.now)


@pytest.fixture
def enrolled(make_user, clock):
    """alice with two-factor on: (user, secret, recovery codes)."""
    return enrol(make_user("tfa-alice"), clock)


def enrol(user, clock):
    client = APIClient()
    client.force_authenticate(user)
    secret = client.post("/api/v1/me/two-factor/enrol").json()["secret"]
    response = client.post("/api/v1/me/two-factor/confirm", {"code": code(secret, clock)}, format="json")
    assert response.status_code == 200, response.json()
    clock.tick()
    return user, secret, response.json()["recovery_codes"]


def password_step(client, username="tfa-alice", password=PASSWORD):
    return client.post("/api/v1/auth/login", {"username": username, "password": password}, format="json")


def code_step(client, challenge, value):
    return client.post("/api/v1/auth/login/two-factor", {"challenge": challenge, "code": value}, format="json")


def test_enrolment_gives_an_authenticator_uri_and_guards_nothing_until_confirmed(make_user, api_client):
    client = APIClient()
    client.force_authenticate(make_user("tfa-alice"))
    body = client.post("/api/v1/me/two-factor/enrol").json()
    assert body["otpauth_url"].startswith("otpauth://totp/chatsite:tfa-alice?secret=" + body["secret"])
    assert password_step(api_client).status_code == 200
    off = {"enabled": False, "authenticator_app": False, "passkeys": 0, "required": False, "recovery_codes_left": 0}
    assert client.get("/api/v1/me/two-factor").json() == off


def test_confirming_with_a_wrong_code_leaves_two_factor_off(make_user, clock):
    client = APIClient()
    client.force_authenticate(make_user("tfa-alice"))
    secret = client.post("/api/v1/me/two-factor/enrol").json()["secret"]
    wrong = "000000" if code(secret, clock) != "000000" else "111111"
    assert_error(client.post("/api/v1/me/two-factor/confirm", {"code": wrong}, format="json"), 400, "invalid_code")
    assert client.get("/api/v1/me/two-factor").json()["enabled"] is False


def test_confirming_turns_it_on_and_returns_ten_recovery_codes_once(enrolled):
    user, _, codes = enrolled
    assert len(set(codes)) == 10
    client = APIClient()
    client.force_authenticate(user)
    on = {"enabled": True, "authenticator_app": True, "passkeys": 0, "required": False, "recovery_codes_left": 10}
    assert client.get("/api/v1/me/two-factor").json() == on
    assert not RecoveryCode.objects.filter(code_hash__in=codes).exists()  # only hashes are kept
    assert_error(client.post("/api/v1/me/two-factor/enrol"), 409, "already_enabled")


def test_password_alone_gives_a_challenge_but_no_token_and_no_session(enrolled, api_client):
    response = password_step(api_client)
    assert response.status_code == 202
    assert response.json()["two_factor_required"] is True
    assert "token" not in response.json()
    assert not AuthToken.objects.filter(user=enrolled[0]).exists()
    assert api_client.get("/api/v1/me").status_code in (401, 403)


def test_the_code_step_signs_in_with_a_token_and_a_session(enrolled, api_client, clock):
    _, secret, _ = enrolled
    challenge = password_step(api_client).json()["challenge"]
    response = code_step(api_client, challenge, code(secret, clock))
    assert response.status_code == 200, response.json()
    assert token_client(response.json()["token"]).get("/api/v1/me").json()["username"] == "tfa-alice"
    assert api_client.get("/api/v1/me").status_code == 200


def test_a_code_works_only_once(enrolled, clock):
    _, secret, _ = enrolled
    first, second = APIClient(), APIClient()
    used = code(secret, clock)
    assert code_step(first, password_step(first).json()["challenge"], used).status_code == 200
    assert_error(code_step(second, password_step(second).json()["challenge"], used), 400, "invalid_code")


def test_a_code_from_the_previous_step_is_still_accepted_but_not_one_from_further_back(enrolled, clock):
    _, secret, _ = enrolled
    clock.tick(3)
    client = APIClient()
    challenge = password_step(client).json()["challenge"]
    two_steps_ago = pyotp.TOTP(secret).at(clock.now - datetime.timedelta(seconds=60))
    assert_error(code_step(client, challenge, two_steps_ago), 400, "invalid_code")
    one_step_ago = pyotp.TOTP(secret).at(clock.now - datetime.timedelta(seconds=30))
    assert code_step(client, challenge, one_step_ago).status_code == 200


def test_a_recovery_code_signs_in_once(enrolled):
    _, _, codes = enrolled
    client = APIClient()
    response = code_step(client, password_step(client).json()["challenge"], codes[0].upper().replace("-", " "))
    assert response.status_code == 200
    again = APIClient()
    assert_error(code_step(again, password_step(again).json()["challenge"], codes[0]), 400, "invalid_code")
    me = token_client(response.json()["token"])
    assert me.get("/api/v1/me/two-factor").json()["recovery_codes_left"] == 9


def test_a_forged_or_expired_challenge_is_refused(enrolled, clock, settings):
    _, secret, _ = enrolled
    client = APIClient()
    challenge = password_step(client).json()["challenge"]
    assert_error(code_step(client, challenge[:-2] + "xx", code(secret, clock)), 400, "invalid_challenge")
    settings.TWO_FACTOR_CHALLENGE_SECONDS = -1
    assert_error(code_step(client, challenge, code(secret, clock)), 400, "invalid_challenge")


def test_a_password_change_voids_a_pending_challenge(enrolled, clock):
    user, secret, _ = enrolled
    client = APIClient()
    challenge = password_step(client).json()["challenge"]
    user.set_password("another-Orchard-77-green")
    user.save()
    assert_error(code_step(client, challenge, code(secret, clock)), 400, "invalid_challenge")


@override_settings(LOGIN_RATE_LIMIT_PER_ACCOUNT="3/m", LOGIN_RATE_LIMIT_PER_ADDRESS="1000/m")
def test_wrong_codes_lock_the_account_like_wrong_passwords(make_user, clock, monkeypatch):
    # A name of its own: the lock outlives the test in a shared cache.
    user, secret, _ = enrol(make_user(f"locked-{uuid.uuid4().hex[:8]}"), clock)
    # The limit counts in fixed windows of time.time: hold it inside one that no other test uses.
    held = time.time() + 20_000_000
    monkeypatch.setattr(time, "time", lambda: held)
    client = APIClient()
    challenge = password_step(client, user.username).json()["challenge"]
    right = code(secret, clock)
    wrong = "123456" if right != "123456" else "654321"
    for _ in range(4):  # the fourth failure crosses the limit
        assert_error(code_step(client, challenge, wrong), 400, "invalid_code")
    response = code_step(client, challenge, right)
    assert_error(response, 429, "rate_limited")
    assert int(response["Retry-After"]) > 0


def test_turning_it_off_needs_the_password_and_a_code(enrolled, clock):
    user, secret, _ = enrolled
    client = APIClient()
    client.force_authenticate(user)
    body = {"password": "wrong-password", "code": code(secret, clock)}
    assert_error(client.post("/api/v1/me/two-factor/disable", body, format="json"), 400, "invalid")
    body = {"password": PASSWORD, "code": code(secret, clock)}
    assert client.post("/api/v1/me/two-factor/disable", body, format="json").status_code == 204
    assert password_step(APIClient()).status_code == 200
    assert not RecoveryCode.objects.filter(user=user).exists()


def test_new_recovery_codes_replace_the_old_ones(enrolled, clock):
    user, secret, old = enrolled
    client = APIClient()
    client.force_authenticate(user)
    body = {"password": PASSWORD, "code": code(secret, clock)}
    new = client.post("/api/v1/me/two-factor/recovery-codes", body, format="json").json()["recovery_codes"]
    assert len(new) == 10 and not set(new) & set(old)
    login = APIClient()
    assert_error(code_step(login, password_step(login).json()["challenge"], old[1]), 400, "invalid_code")
    assert code_step(login, password_step(login).json()["challenge"], new[1]).status_code == 200


def test_users_without_two_factor_sign_in_in_one_step(make_user, api_client):
    make_user("tfa-bob")
    assert password_step(api_client, "tfa-bob").status_code == 200


def test_unknown_fields_and_non_strings_are_clear_errors(enrolled, api_client):
    challenge = password_step(api_client).json()["challenge"]
    body = {"challenge": challenge, "code": 123456}
    assert_error(api_client.post("/api/v1/auth/login/two-factor", body, format="json"), 400)
    body = {"challenge": challenge, "code": "1", "otp": "1"}
    assert_error(api_client.post("/api/v1/auth/login/two-factor", body, format="json"), 400, "unknown_fields")


# --- the admin ---


def admin_login(client, username, code_value=""):
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": username, "password": PASSWORD, "code": code_value, "next": "/admin/"},
    )


def test_the_admin_login_asks_staff_with_two_factor_for_the_code(enrolled, clock):
    user, secret, _ = enrolled
    user.is_staff = True
    user.save()
    client = APIClient()
    assert admin_login(client, "tfa-alice").status_code == 200  # the form again, with the error
    assert client.get("/admin/").status_code == 302
    assert admin_login(client, "tfa-alice", code(secret, clock)).status_code == 302
    assert client.get("/admin/").status_code == 200


@override_settings(TWO_FACTOR_REQUIRED_FOR_STAFF=True)
def test_with_the_setting_staff_without_two_factor_are_kept_out_of_the_admin(make_user):
    make_user("tfa-root", is_staff=True, is_superuser=True)
    client = APIClient()
    response = admin_login(client, "tfa-root")
    assert response.status_code == 200 and b"two-factor" in response.content
    # The API's sign-in opens a session too; that session doesn't reach the admin either.
    assert password_step(client, "tfa-root").status_code == 200
    assert client.get("/admin/").status_code == 302
    assert client.get("/api/v1/me/two-factor").json()["required"] is True


@override_settings(TWO_FACTOR_REQUIRED_FOR_STAFF=True)
def test_with_the_setting_a_session_that_passed_the_code_reaches_the_admin(enrolled, clock):
    user, secret, _ = enrolled
    user.is_staff = True
    user.save()
    client = APIClient()
    challenge = password_step(client).json()["challenge"]
    assert code_step(client, challenge, code(secret, clock)).status_code == 200
    assert client.get("/admin/").status_code == 200


# --- recovery by an admin ---


def test_reset_command_removes_two_factor_ends_logins_and_records_who_and_why(enrolled, make_user):
    user, _, _ = enrolled
    make_user("tfa-root", is_staff=True)
    AuthToken.objects.create(user=user)
    call_command("reset_two_factor", "TFA-Alice", reason="lost phone, checked by call", by="tfa-root")
    assert not TwoFactor.objects.filter(user=user).exists()
    assert not RecoveryCode.objects.filter(user=user).exists()
    assert not AuthToken.objects.filter(user=user).exists()
    assert password_step(APIClient()).status_code == 200
    event = OutboxEvent.objects.filter(type="user.two_factor_reset").get()
    assert event.payload["reason"] == "lost phone, checked by call"
    assert event.actor_id == user.__class__.objects.get(username="tfa-root").pk


def test_reset_command_refuses_a_user_without_two_factor(make_user):
    make_user("tfa-bob")
    with pytest.raises(CommandError, match="no two-factor"):
        call_command("reset_two_factor", "tfa-bob", reason="x")
    with pytest.raises(CommandError, match="No user"):
        call_command("reset_two_factor", "nobody", reason="x")


def test_enrolment_and_reset_are_events(enrolled):
    user, _, _ = enrolled
    assert OutboxEvent.objects.filter(type="user.two_factor_changed", key=str(user.pk)).get().payload["enabled"]
