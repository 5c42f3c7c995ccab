"""Downloads: members only (the same 404 for everyone else), through short-lived signed links,
with headers that keep a file from running as part of the site."""

import pytest
from django.test import Client

from chats import actions as chat_actions
from graph import actions as graph_actions
from testkit import files as samples
from testkit.api import assert_error
from testkit.fixtures import FILE_STORES

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("file_storage")]


def share(client_for, sender, conversation, data, name):
    """Upload as `sender` and send it in `conversation`; the attachment's metadata."""
    api = client_for(sender)
    upload = samples.uploaded(api, data, name)
    response = api.post(
        f"/api/v1/conversations/{conversation.id}/messages",
        {"client_id": f"c-{upload['id']}", "text": "", "attachment_ids": [upload["id"]]},
        format="json",
    )
    assert response.status_code == 201, response.content
    return response.json()["attachments"][0], response.json()["id"]


def fetch(link):
    response = Client().get(link)
    assert response.status_code == 200, response.content
    return response, b"".join(response.streaming_content)


def test_a_member_downloads_through_a_short_lived_link(client_for, alice, bob, group):
    attachment, _ = share(client_for, alice, group, samples.pdf(), "plan.pdf")
    redirect = client_for(bob).get(attachment["url"])
    assert redirect.status_code == 302
    assert redirect["Cache-Control"] == "private, no-store"

    response, body = fetch(redirect["Location"])
    assert body == samples.pdf()
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;") and "plan.pdf" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]


def test_an_image_is_shown_inline_and_has_thumbnails(client_for, alice, bob, group):
    attachment, _ = share(client_for, alice, group, samples.png((800, 600)), "pic.png")
    api = client_for(bob)
    response, _ = fetch(api.get(attachment["url"])["Location"])
    assert response["Content-Type"] == "image/png" and response["Content-Disposition"].startswith("inline")
    link = api.get(f"{attachment['url']}/link?variant=small").json()
    thumb, body = fetch(link["url"])
    assert thumb["Content-Type"] == "image/webp" and body[:4] == b"RIFF"
    assert link["expires_in"] > 0


def test_html_and_svg_are_never_served_inline_even_when_allowed(client_for, alice, bob, group, settings):
    settings.UPLOAD_ALLOWED_TYPES = [*settings.UPLOAD_ALLOWED_TYPES, "text/html", "image/svg+xml"]
    for data, name in [(b"<html><script>alert(1)</script>", "page.html"), (b"<svg onload=alert(1)>", "x.svg")]:
        attachment, _ = share(client_for, alice, group, data, name)
        assert attachment["kind"] == "file"
        response, _ = fetch(client_for(bob).get(attachment["url"])["Location"])
        assert response["Content-Disposition"].startswith("attachment;")
        assert response["X-Content-Type-Options"] == "nosniff"


def test_a_non_member_gets_the_same_404_as_for_nothing(client_for, alice, bob, carol, group):
    attachment, _ = share(client_for, alice, group, b"private", "p.txt")
    assert_error(client_for(carol).get(attachment["url"]), 404, "not_found")
    assert_error(client_for(carol).get(f"{attachment['url']}/link"), 404, "not_found")
    assert_error(client_for(carol).get("/api/v1/files/00000000-0000-0000-0000-000000000000"), 404, "not_found")


def test_a_kicked_member_loses_access(client_for, alice, bob, group):
    attachment, _ = share(client_for, alice, group, b"private", "p.txt")
    assert client_for(bob).get(attachment["url"]).status_code == 302
    chat_actions.do_kick(alice, group.id, bob)
    assert_error(client_for(bob).get(attachment["url"]), 404, "not_found")


def test_a_reader_who_blocked_the_sender_cannot_fetch_their_files(client_for, alice, bob, group):
    attachment, _ = share(client_for, alice, group, b"from alice", "a.txt")
    graph_actions.do_block(bob, alice)
    assert_error(client_for(bob).get(attachment["url"]), 404, "not_found")


def test_an_unsent_upload_is_its_owners_alone(client_for, alice, bob):
    upload = samples.uploaded(client_for(alice), b"draft", "draft.txt")
    assert client_for(alice).get(f"/api/v1/files/{upload['id']}").status_code == 302
    assert_error(client_for(bob).get(f"/api/v1/files/{upload['id']}"), 404, "not_found")


def test_a_deleted_messages_files_are_gone_for_readers(client_for, alice, bob, group):
    attachment, message_id = share(client_for, alice, group, b"oops", "oops.txt")
    chat_actions.do_delete_message(alice, group.id, message_id)
    assert_error(client_for(bob).get(attachment["url"]), 404, "not_found")
    assert_error(client_for(alice).get(attachment["url"]), 404, "not_found")


def test_an_expired_or_forged_link_is_refused(client_for, alice, bob, group, settings):
    attachment, _ = share(client_for, alice, group, b"x", "x.txt")
    link = client_for(bob).get(attachment["url"])["Location"]
    assert_error(Client().get(link[:-4] + "abcd"), 404, "link_expired")
    settings.DOWNLOAD_URL_SECONDS = -1  # every link is past its life
    assert_error(Client().get(link), 404, "link_expired")


def test_links_point_to_the_media_origin_when_one_is_set(client_for, alice, bob, group, settings):
    settings.MEDIA_ORIGIN = "https://media.example.test"
    attachment, _ = share(client_for, alice, group, b"x", "x.txt")
    assert client_for(bob).get(attachment["url"])["Location"].startswith("https://media.example.test/api/v1/media/")


def test_a_bad_variant_is_a_clear_error(client_for, alice, bob, group):
    attachment, _ = share(client_for, alice, group, b"x", "x.txt")
    assert_error(client_for(bob).get(f"{attachment['url']}?variant=small"), 400, "invalid")
    assert_error(client_for(bob).get(f"{attachment['url']}?variant=huge"), 400)


@pytest.mark.parametrize("file_storage", FILE_STORES, indirect=True)
def test_a_download_serves_a_byte_range(client_for, alice, bob, group, file_storage):
    data = bytes(range(256)) * 40  # 10,240 bytes of a file that is not text
    attachment, _ = share(client_for, alice, group, samples.pdf() + data, "long.pdf")
    link = client_for(bob).get(attachment["url"])["Location"]
    whole = Client().get(link)
    assert whole["Accept-Ranges"] == "bytes"
    body = b"".join(whole.streaming_content)
    size = len(body)

    part = Client().get(link, HTTP_RANGE="bytes=100-199")
    assert part.status_code == 206
    assert (part["Content-Range"], part["Content-Length"]) == (f"bytes 100-199/{size}", "100")
    assert b"".join(part.streaming_content) == body[100:200]
    assert part["X-Content-Type-Options"] == "nosniff"

    tail = Client().get(link, HTTP_RANGE="bytes=-10")
    assert b"".join(tail.streaming_content) == body[-10:]
    assert tail["Content-Range"] == f"bytes {size - 10}-{size - 1}/{size}"
    rest = Client().get(link, HTTP_RANGE=f"bytes={size - 5}-")
    assert b"".join(rest.streaming_content) == body[-5:]

    past = Client().get(link, HTTP_RANGE=f"bytes={size}-")
    assert past.status_code == 416 and past["Content-Range"] == f"bytes */{size}"
    assert past.json()["error"]["code"] == "range_not_satisfiable"
    ignored = Client().get(link, HTTP_RANGE="bytes=9-3")  # malformed: the whole file, as the RFC says
    assert ignored.status_code == 200 and b"".join(ignored.streaming_content) == body
