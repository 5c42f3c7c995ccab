"""The chats fixtures (users, a group, and the per-store parametrization of tests that take
`store`) are shared from chats/tests/conftest.py rather than copied; moderators are made here."""

import pytest
from django.contrib.auth.models import Permission

from chats.tests.conftest import (  # noqa: F401 - fixtures and the store parametrization hook
    alice,
    bob,
    carol,
    client_for,
    group,
    make_user,
    message_store,
    mongo_url,
    pytest_generate_tests,
    store,
)
from moderation.tests.helpers import AdminBrowser

# What a moderator's group would hold: the screens (view) and the actions.
VIEW = ["accounts.view_user", "chats.view_conversation", "chats.view_messagereport", "moderation.view_message"]
VIEW += ["chats.view_membership", "moderation.view_auditlog", "moderation.view_ban"]
ACT = ["moderation.ban_user", "moderation.deactivate_user", "moderation.delete_message", "moderation.resolve_report"]


def grant(user, codes):
    for code in codes:
        app_label, codename = code.split(".")
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))


@pytest.fixture
def moderator(make_user):  # noqa: F811 - the imported fixture, requested
    """Staff, not superuser, with every moderation permission."""
    user = make_user("mod", is_staff=True)
    grant(user, VIEW + ACT)
    return user


@pytest.fixture
def onlooker(make_user):  # noqa: F811 - the imported fixture, requested
    """Staff who may look at every moderation screen but act on none."""
    user = make_user("onlooker", is_staff=True)
    grant(user, VIEW)
    return user


@pytest.fixture
def browser():
    """An admin session as `user`, with CSRF checks on, as a real browser would post its forms."""
    return AdminBrowser
