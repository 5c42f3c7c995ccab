"""Single sign-on with OpenID Connect, against a real provider running on 127.0.0.1 (Authlib's server
side, accounts/tests/oidc_provider.py): the browser's redirects are followed by hand, the site
talks to the provider over HTTP as in production."""

from urllib.parse import parse_qs, unquote, urlsplit

import pyotp
import pytest
import requests
from django.test import Client, override_settings
from knox.models import AuthToken

from accounts import two_factor
from accounts.models import OidcIdentity, User
from accounts.tests.oidc_provider import CLIENT_ID, CLIENT_SECRET, Person, Provider

pytestmark = pytest.mark.django_db

CALLBACK = "http://testserver/api/v1/auth/oidc/callback"


@pytest.fixture
def provider():
    with Provider(CALLBACK) as running:
        settings = {
            "OIDC_ENABLED": True,
            "OIDC_ISSUER": running.url,
            "OIDC_CLIENT_ID": CLIENT_ID,
            "OIDC_CLIENT_SECRET": CLIENT_SECRET,
        }
        with override_settings(**settings):
            yield running


def sign_in(provider, person, browser=None):
    """The browser's trip: this site, the provider (where `person` is signed in), back. Returns the
    browser and where the site finally sends it."""
    browser = browser or Client()
    provider.user = person
    to_provider = browser.get("/api/v1/auth/oidc/login")
    assert to_provider.status_code == 302, to_provider
    back = requests.get(to_provider["Location"], allow_redirects=False, timeout=10)
    assert back.status_code == 302, back.text
    assert back.headers["Location"].startswith(CALLBACK)
    landing = browser.get(back.headers["Location"].removeprefix("http://testserver"))
    assert landing.status_code == 302
    return browser, landing["Location"]


def me(browser):
    response = browser.get("/api/v1/me")
    return response.json()["username"] if response.status_code == 200 else None


def test_the_site_asks_for_a_code_with_pkce_a_nonce_and_a_state(provider):
    location = Client().get("/api/v1/auth/oidc/login")["Location"]
    query = parse_qs(urlsplit(location).query)
    assert location.startswith(f"{provider.url}/authorize?")
    assert query["response_type"] == ["code"] and query["client_id"] == [CLIENT_ID]
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) >= 43
    assert query["nonce"][0] and query["state"][0]
    assert set(query["scope"][0].split()) == {"openid", "email", "profile"}


def test_a_first_sign_in_creates_the_account_and_the_next_finds_it_by_the_providers_id(provider):
    ada = Person(sub="id-ada", email="ada@example.com", email_verified=True, preferred_username="ada l", name="Ada")
    browser, landing = sign_in(provider, ada)
    assert landing == "/"
    assert me(browser) == "ada-l"
    user = User.objects.get(username="ada-l")
    assert (user.email, user.display_name, user.has_usable_password()) == ("ada@example.com", "Ada", False)
    assert AuthToken.objects.filter(user=user).count() == 1  # through do_login, like every sign-in

    ada.email = "ada@new.example.com"  # the e-mail changes at the provider; the id doesn't
    browser, _ = sign_in(provider, ada)
    assert me(browser) == "ada-l"
    assert User.objects.count() == 1


def test_an_existing_account_is_linked_only_by_an_email_the_provider_verified(provider, make_user):
    owner = make_user("bea", email="bea@example.com")
    unverified = Person(sub="id-mallory", email="BEA@example.com", email_verified=False, preferred_username="bea")
    browser, _ = sign_in(provider, unverified)
    assert me(browser) == "bea-2"  # a new account, not bea's
    assert not OidcIdentity.objects.filter(user=owner).exists()

    verified = Person(sub="id-bea", email="Bea@Example.com", email_verified=True, preferred_username="bea")
    browser, _ = sign_in(provider, verified)
    assert me(browser) == "bea"
    assert OidcIdentity.objects.get(subject="id-bea").user == owner


def test_an_account_with_two_factor_still_asks_the_code_after_the_provider(provider, make_user):
    cy = make_user("cy", email="cy@example.com")
    secret = two_factor.do_start_enrolment(cy)["secret"]
    two_factor.do_confirm_enrolment(None, cy, pyotp.TOTP(secret).now())
    browser, landing = sign_in(provider, Person(sub="id-cy", email="cy@example.com", email_verified=True))
    assert landing.startswith("/#two-factor=")
    assert me(browser) is None and not AuthToken.objects.filter(user=cy).exists()
    challenge = unquote(landing.removeprefix("/#two-factor="))
    assert two_factor.user_of_challenge(challenge) == cy  # the client's code step takes it from here


@pytest.mark.parametrize(("tamper", "refusal"), [("nonce", "InvalidClaimError"), ("key", "BadSignatureError")])
def test_an_id_token_with_another_nonce_or_signed_by_a_key_not_in_the_jwks_is_refused(provider, tamper, refusal):
    provider.tamper = tamper
    browser, landing = sign_in(provider, Person(sub="id-dan", email="dan@example.com", email_verified=True))
    assert unquote(landing) == f"/#sso-error=Single sign-on failed: the answer was not valid ({refusal})."
    assert me(browser) is None
    assert not User.objects.exists()


def test_a_callback_with_a_state_this_browser_did_not_start_is_refused(provider):
    provider.user = Person(sub="id-eve")
    victim, attacker = Client(), Client()
    victim.get("/api/v1/auth/oidc/login")
    # the attacker's own code, pushed into the victim's browser (login CSRF)
    location = attacker.get("/api/v1/auth/oidc/login")["Location"]
    back = requests.get(location, allow_redirects=False, timeout=10).headers["Location"]
    landing = victim.get(back.removeprefix("http://testserver"))
    assert unquote(landing["Location"]).endswith("(MismatchingStateError).")
    assert me(victim) is None


def test_sign_on_is_off_unless_set_up(make_user):
    assert Client().get("/api/v1/auth/oidc/login")["Location"].startswith("/#sso-error=")
