"""Driving the admin as a browser does: pages first, then their forms with the CSRF token."""

import pyotp
from django.contrib.admin import helpers
from django.contrib.messages import get_messages
from django.test import Client

from accounts import two_factor

USERS = "/admin/accounts/user/"
REPORTS = "/admin/moderation/messagereport/"
MESSAGES = "/admin/moderation/message/"
AUDIT = "/admin/moderation/auditlog/"
HELD = "/admin/chats/heldmessage/"


class AdminBrowser:
    def __init__(self, user):
        self.client = Client(enforce_csrf_checks=True)
        self.client.force_login(user)

    def get(self, url, data=None):
        return self.client.get(url, data)

    def post(self, url, data):
        """Post `data` as a form would: the token comes from the cookie an admin page set."""
        if "csrftoken" not in self.client.cookies:
            self.client.get("/admin/")  # every admin page has a form (log out) and sets it
            assert "csrftoken" in self.client.cookies
        return self.client.post(url, {**data, "csrfmiddlewaretoken": self.client.cookies["csrftoken"].value})

    def action(self, changelist, action, rows, reason=None):
        """Pick an action for `rows` on the changelist. Without a reason: the page that asks for
        one. With one: that page's form submitted too; returns the response after it."""
        self.get(changelist)  # the changelist sets the CSRF cookie
        selected = {"action": action, helpers.ACTION_CHECKBOX_NAME: [r.pk for r in rows], "index": 0}
        response = self.post(changelist, selected)
        if reason is None:
            return response
        assert response.status_code == 200, response
        selected.pop("index")
        return self.post(changelist, {**selected, "apply": "yes", "reason": reason})


def turn_on_two_factor(user):
    """The user enrols an authenticator app, as through the API."""
    secret = two_factor.do_start_enrolment(user)["secret"]
    two_factor.do_confirm_enrolment(None, user, pyotp.TOTP(secret).now())


def notes(response):
    """The admin's messages shown after a response, as text."""
    return [str(m) for m in get_messages(response.wsgi_request)]


def action_names(response):
    form = response.context["action_form"]  # None when no action is offered at all
    return [value for value, _ in form.fields["action"].choices if value] if form else []
