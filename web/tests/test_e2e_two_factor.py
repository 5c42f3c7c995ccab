"""Two-factor sign-in in the browser client: turning it on from the settings, the code step of the
sign-in (authenticator code or recovery code), and turning it off. The codes come from pyotp, as
the phone's authenticator app would make them."""

import time

import pyotp
import pytest
from playwright.sync_api import expect

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
