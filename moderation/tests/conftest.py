"""Moderators and the admin browser; people, groups and stores come from the shared test kit."""

import pytest
from django.contrib.auth.models import Permission

from moderation.tests.helpers import AdminBrowser

# What a moderator's group would hold: the screens (view) and the actions.
VIEW = ["accounts.view_user", "chats.view_conversation", "moderation.view_messagereport", "moderation.view_message"]
VIEW += ["chats.view_membership", "moderation.view_auditlog", "moderation.view_ban", "chats.view_heldmessage"]
ACT = ["moderation.ban_user", "moderation.deactivate_user", "moderation.delete_message", "moderation.resolve_report"]
ACT += ["moderation.reset_two_factor", "moderation.remove_avatar"]


def grant(user, codes):
    for code in codes:
        app_label, codename = code.split(".")
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))


@pytest.fixture
def moderator(make_user):
    """Staff, not superuser, with every moderation permission."""
    user = make_user("mod", is_staff=True)
    grant(user, VIEW + ACT)
    return user


@pytest.fixture
def onlooker(make_user):
    """Staff who may look at every moderation screen but act on none."""
    user = make_user("onlooker", is_staff=True)
    grant(user, VIEW)
    return user


@pytest.fixture
def browser():
    """An admin session as `user`, with CSRF checks on, as a real browser would post its forms."""
    return AdminBrowser
