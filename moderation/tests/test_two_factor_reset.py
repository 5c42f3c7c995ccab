"""Resetting the two-factor sign-in of a user who lost their device, as an audited admin action."""

import pytest
from knox.models import AuthToken
from rest_framework.test import APIClient

from accounts import two_factor
from chatsite.api_errors import ApiError
from moderation import actions
from moderation.models import AuditLog
from moderation.tests.helpers import USERS, action_names, notes, turn_on_two_factor
from streaming.models import OutboxEvent
from testkit.factories import PASSWORD

pytestmark = pytest.mark.django_db


def login(username):
    return APIClient().post("/api/v1/auth/login", {"username": username, "password": PASSWORD}, format="json")


def test_a_moderator_resets_a_lost_second_factor_from_the_users_list_and_it_is_audited(browser, moderator, bob):
    turn_on_two_factor(bob)
    AuthToken.objects.create(bob)
    assert login("bob").status_code == 202  # the code step

    response = browser(moderator).action(USERS, "reset_two_factor", [bob], reason="lost phone, checked by a call")

    assert notes(response) == ["Two-factor sign-in reset: 1."]
    assert not two_factor.is_enabled(bob)
    assert not AuthToken.objects.filter(user=bob).exists()  # whoever holds the phone is signed out
    [entry] = AuditLog.objects.all()
    assert (entry.moderator, entry.action, entry.target_id) == (moderator, "reset_two_factor", str(bob.pk))
    assert entry.reason == "lost phone, checked by a call"
    event = OutboxEvent.objects.get(type="user.two_factor_reset")
    assert event.payload["moderator_id"] == moderator.pk
    assert login("bob").status_code == 200  # the password alone, then enrol again


def test_a_user_without_two_factor_is_named_and_nothing_is_logged(browser, moderator, bob):
    response = browser(moderator).action(USERS, "reset_two_factor", [bob], reason="asked by phone")
    assert notes(response) == ["bob: bob has no two-factor sign-in to reset."]
    assert not AuditLog.objects.exists()


def test_only_staff_with_the_permission_are_offered_or_allowed_the_reset(browser, onlooker, moderator, bob):
    turn_on_two_factor(bob)
    assert "reset_two_factor" not in action_names(browser(onlooker).get(USERS))
    assert "reset_two_factor" in action_names(browser(moderator).get(USERS))
    with pytest.raises(ApiError) as refused:
        actions.do_reset_two_factor(onlooker, bob, "no right")
    assert refused.value.code == "forbidden"
    assert two_factor.is_enabled(bob)


def test_a_reset_needs_a_reason_and_a_moderator_cannot_reset_their_own(moderator, bob):
    turn_on_two_factor(bob)
    turn_on_two_factor(moderator)
    for who, reason, code in [(bob, "  ", "invalid"), (moderator, "my own", "invalid")]:
        with pytest.raises(ApiError) as refused:
            actions.do_reset_two_factor(moderator, who, reason)
        assert refused.value.code == code
    assert two_factor.is_enabled(bob) and two_factor.is_enabled(moderator)
