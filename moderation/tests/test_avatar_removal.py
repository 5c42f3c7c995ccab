"""Removing an offensive profile picture, as an audited admin action: the account stays."""

import pytest

from accounts.models import User
from chatsite.api_errors import ApiError
from files import avatars
from moderation import actions
from moderation.models import AuditLog
from moderation.tests.helpers import USERS, action_names, notes
from streaming.models import OutboxEvent
from testkit import files as samples
from testkit.files import SimpleUploadedFile

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("file_storage")]


def with_picture(client_for, user):
    picture = SimpleUploadedFile("me.png", samples.png(), "image/png")
    response = client_for(user).put("/api/v1/me/avatar", {"file": picture}, format="multipart")
    assert response.status_code == 200, response.content
    return User.objects.get(pk=user.pk).avatar_version


def test_a_moderator_removes_a_picture_from_the_users_list_and_it_is_audited(
    browser, moderator, bob, client_for, file_storage, django_capture_on_commit_callbacks
):
    version = with_picture(client_for, bob)
    page = browser(moderator).get(f"{USERS}{bob.pk}/change/")
    assert f'src="/api/v1/users/{bob.pk}/avatar?v={version}&amp;size=64"' in page.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = browser(moderator).action(USERS, "remove_avatars", [bob], reason="offensive picture")

    assert notes(response) == ["Picture removed: 1."]
    bob.refresh_from_db()
    assert bob.avatar_version == "" and bob.is_active
    assert all(file_storage.size(k) is None for k in avatars.keys(bob.pk, version))
    [entry] = AuditLog.objects.all()
    assert (entry.moderator, entry.action, entry.target_id, entry.reason) == (
        moderator,
        "remove_avatar",
        str(bob.pk),
        "offensive picture",
    )
    event = OutboxEvent.objects.filter(type="user.updated").order_by("occurred_at", "id").last()
    assert event.payload["changed"] == {"avatar_version": None} and event.actor_id == moderator.pk


def test_only_staff_with_the_permission_may_remove_a_picture_and_only_an_existing_one(
    browser, onlooker, moderator, bob, carol, client_for
):
    with_picture(client_for, bob)
    assert "remove_avatars" not in action_names(browser(onlooker).get(USERS))
    with pytest.raises(ApiError) as refused:
        actions.do_remove_avatar(onlooker, bob, "no right")
    assert refused.value.code == "forbidden"
    response = browser(moderator).action(USERS, "remove_avatars", [carol], reason="checking")
    assert notes(response) == ["carol: carol has no picture."]
    assert User.objects.get(pk=bob.pk).avatar_version
    assert not AuditLog.objects.exists()
