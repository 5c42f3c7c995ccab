"""A person's own data export (GDPR): asked for over REST, built by a Celery task whose progress
the owner can poll, downloaded as a zip of JSON with their files, only by its owner, and only
until it expires; then its file is purged."""

import io
import json
import zipfile
from datetime import timedelta

import pytest
from django.utils import timezone

from chats import actions as chat_actions
from files.backends import get_storage
from portability import personal, tasks
from portability.models import DataExport
from testkit import files as samples
from testkit.api import assert_error
from testkit.factories import group_of, send

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("file_storage")]
EXPORTS = "/api/v1/me/exports"


def ask(client, django_capture_on_commit_callbacks):
    """POST, then run the task the commit queued, as a worker would; returns the export's id."""
    with django_capture_on_commit_callbacks() as queued:
        response = client.post(EXPORTS)
    assert response.status_code == 202, response.content
    assert response.json()["status"] == "pending" and len(queued) == 1
    tasks.build_data_export(response.json()["id"])
    return response.json()["id"]


def zip_of(client, export_id):
    body = client.get(f"{EXPORTS}/{export_id}").json()
    response = client.get(body["download_url"])
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/zip" and "no-store" in response["Cache-Control"]
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def test_the_zip_holds_my_profile_messages_reactions_and_files_and_nothing_of_others(
    client_for, alice, bob, django_capture_on_commit_callbacks
):
    team = group_of(alice, bob)
    mine = send(alice, team, "my words")
    theirs = send(bob, team, "their words")
    gone = send(alice, team, "said and taken back")
    chat_actions.do_delete_message(alice, team.id, gone.id)
    chat_actions.do_react(alice, team.id, theirs.id, "👍")
    chat_actions.do_react(bob, team.id, mine.id, "🎉")
    my_file = samples.uploaded(client_for(alice), samples.pdf(), "notes.pdf", "application/pdf")
    samples.uploaded(client_for(bob), samples.png(), "bobs.png", "image/png")

    export_id = ask(client_for(alice), django_capture_on_commit_callbacks)
    status = client_for(alice).get(f"{EXPORTS}/{export_id}").json()
    assert (status["status"], status["progress"]) == ("ready", 100) and status["size"] > 0
    z = zip_of(client_for(alice), export_id)

    profile = json.loads(z.read("profile.json"))
    assert profile["username"] == "alice" and "password" not in profile
    assert [m["text"] for m in json.loads(z.read("messages.json"))] == ["my words"]
    assert json.loads(z.read("reactions.json")) == [
        {"conversation_id": str(team.id), "message_id": str(theirs.id), "emoji": "👍"}
    ]
    assert [(m["title"], m["role"]) for m in json.loads(z.read("memberships.json"))] == [("Team", "owner")]
    [upload] = json.loads(z.read("uploads.json"))
    assert upload["id"] == my_file["id"] and z.read(upload["path"]) == samples.pdf()
    assert not [name for name in z.namelist() if "bobs" in name]


def test_the_owner_sees_progress_while_the_task_builds(
    client_for, alice, bob, monkeypatch, django_capture_on_commit_callbacks
):
    group_of(alice, bob)
    seen = []
    build = personal.write_zip

    def watched(user, target, progress):
        def report(percent):
            progress(percent)
            seen.append(client_for(alice).get(f"{EXPORTS}/{export.id}").json()["progress"])

        export = DataExport.objects.get(user=user)
        assert client_for(alice).get(f"{EXPORTS}/{export.id}").json()["status"] == "running"
        build(user, target, report)

    monkeypatch.setattr(personal, "write_zip", watched)
    ask(client_for(alice), django_capture_on_commit_callbacks)
    assert seen[0] == 5 and seen == sorted(seen) and max(seen) < 100


def test_only_the_owner_may_see_or_download_an_export(client_for, alice, bob, django_capture_on_commit_callbacks):
    export_id = ask(client_for(alice), django_capture_on_commit_callbacks)
    url = client_for(alice).get(f"{EXPORTS}/{export_id}").json()["download_url"]

    assert_error(client_for(bob).get(f"{EXPORTS}/{export_id}"), 404, "not_found")
    assert_error(client_for(bob).get(url), 404, "not_found")
    assert client_for(bob).get(EXPORTS).json() == []
    assert client_for(None).get(url).status_code == 401
    assert_error(client_for(alice).get(url[:-3] + "abc"), 404, "not_found")
    assert_error(client_for(alice).get(url.split("?")[0]), 404, "not_found")


def test_an_export_is_offered_for_a_limited_time_then_its_file_is_purged(
    client_for, alice, django_capture_on_commit_callbacks, settings
):
    settings.DATA_EXPORT_HOURS = 2
    export_id = ask(client_for(alice), django_capture_on_commit_callbacks)
    export = DataExport.objects.get(pk=export_id)
    assert timedelta(hours=2) - (export.expires_at - export.finished_at) < timedelta(seconds=1)
    url = client_for(alice).get(f"{EXPORTS}/{export_id}").json()["download_url"]
    assert tasks.purge_expired_exports() == 0  # not yet

    DataExport.objects.filter(pk=export_id).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert_error(client_for(alice).get(url), 410, "expired")
    assert tasks.purge_expired_exports() == 1
    assert DataExport.objects.get(pk=export_id).status == "expired"
    assert get_storage().size(export.key) is None
    assert client_for(alice).get(f"{EXPORTS}/{export_id}").json()["download_url"] is None


def test_a_second_request_while_one_is_being_built_is_refused(client_for, alice):
    assert client_for(alice).post(EXPORTS).status_code == 202
    assert_error(client_for(alice).post(EXPORTS), 409, "export_running")


def test_my_profile_picture_is_in_the_zip_as_others_see_it(client_for, alice, django_capture_on_commit_callbacks):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    picture = SimpleUploadedFile("me.png", samples.png((90, 60)), "image/png")
    assert client_for(alice).put("/api/v1/me/avatar", {"file": picture}, format="multipart").status_code == 200

    z = zip_of(client_for(alice), ask(client_for(alice), django_capture_on_commit_callbacks))
    with Image.open(io.BytesIO(z.read("avatar.webp"))) as image:
        assert image.format == "WEBP" and image.size == (256, 256)
