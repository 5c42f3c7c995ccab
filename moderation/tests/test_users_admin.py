"""Ban, unban, deactivate and reactivate, driven through the users list of the admin."""

import pytest
from django.test import Client
from knox.models import AuthToken
from rest_framework.test import APIClient

from accounts.models import User
from moderation import actions
from moderation.models import AuditLog, Ban
from moderation.tests.helpers import USERS, action_names, notes
from streaming.models import OutboxEvent
from testkit.api import assert_error, token_client
from testkit.factories import PASSWORD

pytestmark = pytest.mark.django_db


def login(username, password=PASSWORD):
    return APIClient().post("/api/v1/auth/login", {"username": username, "password": password}, format="json")


def test_a_moderator_bans_a_user_with_a_reason_from_the_users_list(browser, moderator, bob):
    response = browser(moderator).action(USERS, "ban_users", [bob], reason="  spam links  ")
    assert response.status_code == 302
    assert notes(response) == ["Banned: 1."]
    bob.refresh_from_db()
    assert not bob.is_active
    ban = Ban.objects.get(user=bob)
    assert (ban.reason, ban.banned_by) == ("spam links", moderator)
    [entry] = AuditLog.objects.all()
    assert (entry.moderator, entry.moderator_name, entry.action) == (moderator, "mod", "ban_user")
    assert (entry.target_type, entry.target_id, entry.reason) == ("user", str(bob.pk), "spam links")
    event = OutboxEvent.objects.get(type="user.banned")
    assert event.payload == {"user_id": bob.pk, "reason": "spam links", "moderator_id": moderator.pk}
    assert event.actor_id == moderator.pk


def test_the_action_first_asks_why_and_an_empty_reason_bans_nobody(browser, moderator, bob):
    admin = browser(moderator)
    asking = admin.action(USERS, "ban_users", [bob])
    assert asking.status_code == 200
    assert b"bob" in asking.content and b'name="reason"' in asking.content
    refused = admin.action(USERS, "ban_users", [bob], reason="   ")
    assert refused.status_code == 200
    assert b"This field is required." in refused.content
    assert not Ban.objects.exists() and not AuditLog.objects.exists()
    bob.refresh_from_db()
    assert bob.is_active


def test_a_banned_user_is_told_so_at_login_and_a_stranger_is_not(moderator, bob):
    actions.do_ban_user(moderator, bob, "abuse")
    assert assert_error(login("bob"), 403, "account_disabled")["message"] == "This account is banned."
    assert_error(login("bob", "a-wrong-password"), 400, "invalid_credentials")


def test_a_ban_revokes_every_token_and_session(moderator, bob):
    _, token = AuthToken.objects.create(bob)
    browser = Client()
    browser.force_login(bob)
    assert token_client(token).get("/api/v1/me").status_code == 200
    assert browser.get("/api/v1/me").status_code == 200

    actions.do_ban_user(moderator, bob, "abuse")

    assert_error(token_client(token).get("/api/v1/me"), 401)
    assert browser.get("/api/v1/me").status_code in (401, 403)
    assert not AuthToken.objects.filter(user=bob).exists()


def test_unban_restores_login_but_not_the_old_tokens(browser, moderator, bob):
    _, old_token = AuthToken.objects.create(bob)
    actions.do_ban_user(moderator, bob, "abuse")
    response = browser(moderator).action(USERS, "unban_users", [bob], reason="appeal accepted")
    assert notes(response) == ["Unbanned: 1."]
    assert not Ban.objects.exists()
    assert login("bob").status_code == 200
    assert_error(token_client(old_token).get("/api/v1/me"), 401)
    assert [e.action for e in AuditLog.objects.order_by("id")] == ["ban_user", "unban_user"]
    assert OutboxEvent.objects.get(type="user.unbanned").payload["reason"] == "appeal accepted"


def test_deactivation_is_its_own_action_in_the_log_and_the_events(browser, moderator, bob):
    admin = browser(moderator)
    admin.action(USERS, "deactivate_users", [bob], reason="asked to close the account")
    bob.refresh_from_db()
    assert not bob.is_active and not Ban.objects.exists()
    assert assert_error(login("bob"), 403, "account_disabled")["message"] == "This account is deactivated."
    assert OutboxEvent.objects.get(type="user.deactivated").payload == {
        "user_id": bob.pk,
        "reason": "asked to close the account",
        "moderator_id": moderator.pk,
    }
    assert not OutboxEvent.objects.filter(type="user.banned").exists()

    admin.action(USERS, "reactivate_users", [bob], reason="changed their mind")
    assert login("bob").status_code == 200
    assert [e.action for e in AuditLog.objects.order_by("id")] == ["deactivate_user", "reactivate_user"]


def test_a_bulk_ban_bans_each_and_names_the_ones_it_refuses(browser, moderator, bob, carol):
    actions.do_ban_user(moderator, carol, "earlier")
    response = browser(moderator).action(USERS, "ban_users", [bob, carol, moderator], reason="raid")
    assert sorted(notes(response)) == [
        "Banned: 1.",
        "carol: carol is already banned.",
        "mod: You cannot do this to your own account.",
    ]
    assert set(Ban.objects.values_list("user__username", flat=True)) == {"bob", "carol"}


def test_only_a_superuser_may_ban_staff(moderator, make_user):
    other_staff = make_user("helper", is_staff=True)
    with pytest.raises(actions.ApiError) as refused:
        actions.do_ban_user(moderator, other_staff, "no")
    assert refused.value.status_code == 403
    root = make_user("root", is_staff=True, is_superuser=True)
    actions.do_ban_user(root, other_staff, "compromised account")
    assert Ban.objects.filter(user=other_staff).exists()


def test_staff_without_the_permissions_are_not_offered_the_actions_and_cannot_post_them(browser, onlooker, bob):
    admin = browser(onlooker)
    listing = admin.get(USERS)
    assert listing.status_code == 200
    assert not {"ban_users", "unban_users", "deactivate_users", "reactivate_users"} & set(action_names(listing))
    forged = admin.action(USERS, "ban_users", [bob], reason="not offered, posted anyway")
    assert forged.status_code in (200, 302)  # the list again: no action ran
    assert not Ban.objects.exists()
    with pytest.raises(actions.ApiError) as refused:
        actions.do_ban_user(onlooker, bob, "the action checks too")
    assert refused.value.status_code == 403


def test_a_moderator_with_only_the_ban_permission_is_offered_ban_but_not_deactivate(browser, make_user, bob):
    from moderation.tests.conftest import VIEW, grant

    banner = make_user("banner", is_staff=True)
    grant(banner, [*VIEW, "moderation.ban_user"])
    offered = set(action_names(browser(banner).get(USERS)))
    assert {"ban_users", "unban_users"} <= offered
    assert not {"deactivate_users", "reactivate_users"} & offered


def test_the_active_flag_is_not_a_checkbox_in_the_user_form(browser, make_user, bob):
    root = make_user("root", is_staff=True, is_superuser=True)
    page = browser(root).get(f"{USERS}{bob.pk}/change/")
    assert "is_active" not in page.context["adminform"].form.fields
    assert b"not banned" in page.content


def test_the_users_list_filters_the_banned(browser, moderator, bob, carol):
    actions.do_ban_user(moderator, bob, "abuse")
    page = browser(moderator).get(USERS, {"banned": "yes"})
    assert [u.username for u in page.context["cl"].result_list] == ["bob"]


def test_unbanning_someone_not_banned_and_reactivating_a_banned_user_are_refused(moderator, bob):
    with pytest.raises(actions.ApiError, match="not banned"):
        actions.do_unban_user(moderator, bob, "why")
    actions.do_ban_user(moderator, bob, "abuse")
    with pytest.raises(actions.ApiError, match="unban instead"):
        actions.do_reactivate_user(moderator, bob, "why")
    with pytest.raises(actions.ApiError, match="banned"):
        actions.do_deactivate_user(moderator, bob, "why")
    assert User.objects.get(pk=bob.pk).is_active is False
    assert AuditLog.objects.count() == 1
