"""Two-factor sign-in in the browser client: turning it on from the settings, the code step of the
sign-in (authenticator code or recovery code), and turning it off. The codes come from pyotp, as
the phone's authenticator app would make them."""

import re
import time
from urllib.parse import quote

import pyotp
import pytest
from playwright.sync_api import expect

from accounts import two_factor
from accounts.models import Passkey
from web.tests.browser import PASSWORD, user

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def password_step(tab, username):
    page = tab.open().page
    page.locator("#login-username").fill(username)
    page.locator("#login-password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#two-factor-form")).to_be_visible()
    return page


def code_step(page, code):
    page.locator("#two-factor-code").fill(code)
    page.get_by_role("button", name="Verify").click()


def test_two_factor_is_turned_on_in_settings_asked_at_sign_in_and_turned_off_with_a_recovery_code(tabs):
    user("uma")
    page = tabs().sign_in("uma").page

    page.locator("#me-button").click()
    page.get_by_role("button", name="Security").click()
    dialog = page.locator("#security-dialog")
    expect(dialog.locator("#security-status")).to_contain_text("Off")
    dialog.get_by_role("button", name="Turn on").click()
    expect(dialog.get_by_role("img", name="QR code of the key, for the authenticator app")).to_be_visible()
    totp = pyotp.TOTP(dialog.locator("#security-secret").inner_text().strip())
    dialog.locator("#security-confirm-code").fill(totp.now())
    dialog.get_by_role("button", name="Confirm").click()
    expect(dialog.locator("#security-codes-list li")).to_have_count(10)
    recovery = dialog.locator("#security-codes-list li").all_inner_texts()
    expect(dialog.locator("#security-status")).to_contain_text("On. 10 recovery codes left.")

    # Another browser: the password alone no longer signs in; a wrong code is refused and said so.
    # Each authenticator code works once, so this one is the next time step's (the server accepts
    # one step either side of its clock).
    page = password_step(tabs(), "uma")
    code_step(page, "000000" if totp.now() != "000000" else "111111")
    expect(page.locator("#two-factor-form [data-error]")).to_contain_text("wrong")
    code_step(page, totp.at(time.time() + totp.interval))
    expect(page.locator("#connection")).to_have_attribute("data-state", "online")

    # A third browser, with the phone lost: a recovery code signs in, and turns two-factor off.
    page = password_step(tabs(), "uma")
    code_step(page, recovery[0])
    expect(page.locator("#connection")).to_have_attribute("data-state", "online")
    page.locator("#me-button").click()
    page.get_by_role("button", name="Security").click()
    dialog = page.locator("#security-dialog")
    expect(dialog.locator("#security-status")).to_contain_text("On. 9 recovery codes left.")
    dialog.locator("#security-password").fill(PASSWORD)
    dialog.locator("#security-disable-code").fill(recovery[1])
    dialog.get_by_role("button", name="Turn off").click()
    expect(dialog.locator("#security-status")).to_contain_text("Off")

    # and the password alone signs in again
    tabs().sign_in("uma")


def virtual_authenticator(tab):
    """Chromium's virtual authenticator on this tab (DevTools protocol): a platform authenticator
    that verifies the user and answers at once, with no prompt."""
    cdp = tab.context.new_cdp_session(tab.page)
    cdp.send("WebAuthn.enable")
    options = {
        "protocol": "ctap2",
        "transport": "internal",
        "hasResidentKey": True,
        "hasUserVerification": True,
        "isUserVerified": True,
        "automaticPresenceSimulation": True,
    }
    authenticator_id = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": options})["authenticatorId"]
    return lambda: cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})["credentials"]


def test_a_passkey_is_added_in_settings_and_then_signs_in_in_place_of_a_code(tabs):
    user("pat")
    tab = tabs()
    tab.base_url = tab.base_url.replace("127.0.0.1", "localhost")  # a relying party is a domain, never an IP
    credentials = virtual_authenticator(tab)
    page = tab.sign_in("pat").page

    page.locator("#me-button").click()
    page.get_by_role("button", name="Security").click()
    dialog = page.locator("#security-dialog")
    dialog.get_by_label("Name of a new passkey").fill("Laptop")
    dialog.get_by_role("button", name="Add a passkey").click()
    expect(dialog.locator("#security-codes-list li")).to_have_count(10)  # the first second factor's codes
    expect(dialog.locator("#security-passkeys")).to_contain_text("Laptop")
    expect(dialog.locator("#security-status")).to_contain_text("On.")
    [stored] = credentials()
    assert Passkey.objects.get().credential_id == stored["credentialId"].rstrip("=").replace("+", "-").replace("/", "_")

    page.keyboard.press("Escape")
    page.locator("#me-button").click()
    page.get_by_role("button", name="Sign out").click()
    page.locator("#login-username").fill("pat")
    page.locator("#login-password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Use a passkey").click()
    expect(page.locator("#connection")).to_have_attribute("data-state", "online")
    # the server keeps the authenticator's use count, to tell a clone
    [used] = credentials()
    assert used["signCount"] >= 1
    assert Passkey.objects.get().sign_count == used["signCount"]

    # removing the only passkey (with the password) turns two-factor off again
    page.locator("#me-button").click()
    page.get_by_role("button", name="Security").click()
    dialog.get_by_role("button", name="Remove the passkey Laptop").click()
    dialog.locator("#security-passkey-password").fill(PASSWORD)
    dialog.get_by_role("button", name="Remove the passkey", exact=True).click()
    expect(dialog.locator("#security-status")).to_contain_text("Off")
    assert not Passkey.objects.exists()


def test_back_from_single_sign_on_the_client_shows_its_error_or_asks_the_code(tabs):
    uma = user("sso-uma")
    secret = two_factor.do_start_enrolment(uma)["secret"]
    two_factor.do_confirm_enrolment(None, uma, pyotp.TOTP(secret).now())
    page = tabs().open("/#sso-error=" + quote("Single sign-on failed: <b>no</b>.")).page
    expect(page.locator("#auth-notice")).to_have_text("Single sign-on failed: <b>no</b>.")  # text, not markup
    expect(page).to_have_url(re.compile(r"/$"))  # the fragment is gone, a reload won't show it again

    # the server's redirect after the provider, for an account with two-factor on
    page = tabs().open("/#two-factor=" + quote(two_factor.challenge_for(uma))).page
    expect(page.locator("#two-factor-form")).to_be_visible()
    totp = pyotp.TOTP(secret)
    code_step(page, totp.at(time.time() + totp.interval))
    expect(page.locator("#connection")).to_have_attribute("data-state", "online")
