"""Sending files: a message takes the sender's unused uploads and carries their metadata in REST,
live WebSocket events and replay, on both message stores."""

import pytest

from chats import actions as chat_actions
from files.models import Upload
from testkit import files as samples
from testkit.api import assert_error
from testkit.factories import group_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("file_storage")]


def send_with(client, conversation, ids, text="", client_id="c1"):
    return client.post(
        f"/api/v1/conversations/{conversation.id}/messages",
        {"client_id": client_id, "text": text, "attachment_ids": ids},
        format="json",
    )


def test_a_message_carries_its_files_in_rest_and_in_the_log(client_for, alice, bob, group, store):
    api = client_for(alice)
    photo = samples.uploaded(api, samples.jpeg_with_gps(), "photo.jpg")
    doc = samples.uploaded(api, samples.pdf(), "notes.pdf")

    response = send_with(api, group, [photo["id"], doc["id"]], text="look")
    assert response.status_code == 201, response.content
    sent = response.json()
    assert [a["id"] for a in sent["attachments"]] == [photo["id"], doc["id"]]
    image, pdf = sent["attachments"]
    assert image["kind"] == "image" and image["width"] == 640 and image["placeholder"].startswith("data:")
    assert pdf == {
        "id": doc["id"],
        "name": "notes.pdf",
        "size": doc["size"],
        "content_type": "application/pdf",
        "kind": "file",
        "url": f"/api/v1/files/{doc['id']}",
    }

    page = client_for(bob).get(f"/api/v1/conversations/{group.id}/messages").json()["results"]
    assert page[-1]["attachments"] == sent["attachments"]
    events = client_for(bob).get(f"/api/v1/conversations/{group.id}/events?after=0").json()["results"]
    assert events[-1]["message"]["attachments"] == sent["attachments"]
    assert set(Upload.objects.values_list("message_id", flat=True)) == {store.get(page[-1]["id"]).id}


def test_a_retry_with_the_same_client_id_returns_the_first_message(client_for, alice, group, store):
    api = client_for(alice)
    upload = samples.uploaded(api, b"hi", "hi.txt")
    first = send_with(api, group, [upload["id"]])
    again = send_with(api, group, [upload["id"]])
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["id"] == first.json()["id"]


def test_an_upload_is_sent_once(client_for, alice, group, store):
    api = client_for(alice)
    upload = samples.uploaded(api, b"hi", "hi.txt")
    assert send_with(api, group, [upload["id"]], client_id="a").status_code == 201
    assert_error(send_with(api, group, [upload["id"]], client_id="b"), 400, "invalid")


def test_someone_elses_upload_cannot_be_sent(client_for, alice, bob, group, store):
    theirs = samples.uploaded(client_for(alice), b"mine", "mine.txt")
    error = assert_error(send_with(client_for(bob), group, [theirs["id"]]), 400, "invalid")
    assert "attachment_ids" in error["fields"]
    assert Upload.objects.get().message_id is None


def test_a_refused_send_leaves_its_uploads_free(client_for, alice, bob, carol, group, store):
    api = client_for(alice)
    upload = samples.uploaded(api, b"hi", "hi.txt")
    other = group_of(bob, carol)  # alice is not in it
    assert send_with(api, other, [upload["id"]]).status_code == 404
    assert Upload.objects.get().message_id is None
    assert send_with(api, group, [upload["id"]]).status_code == 201


def test_a_message_needs_text_or_files(client_for, alice, group):
    assert_error(send_with(client_for(alice), group, []), 400, "invalid")
    assert_error(send_with(client_for(alice), group, ["not-a-uuid"]), 400)


def test_a_pending_presigned_upload_cannot_be_sent(client_for, alice, group):
    api = client_for(alice)
    pending = api.post("/api/v1/uploads/presign", {"name": "x.txt", "size": 3}, format="json").json()["upload"]
    assert_error(send_with(api, group, [pending["id"]]), 400, "invalid")


def test_a_deleted_message_drops_its_files_from_what_readers_see(client_for, alice, bob, group, store):
    api = client_for(alice)
    upload = samples.uploaded(api, b"secret", "secret.txt")
    sent = send_with(api, group, [upload["id"]]).json()
    chat_actions.do_delete_message(alice, group.id, sent["id"])
    page = client_for(bob).get(f"/api/v1/conversations/{group.id}/messages").json()["results"]
    assert page[-1]["deleted"] is True and page[-1]["attachments"] == []
    assert Upload.objects.get().released_at is not None


@pytest.mark.django_db(transaction=True)
async def test_the_other_side_gets_the_files_live_and_on_replay(alice, bob, group, file_storage, store):
    from testkit.sockets import connect, in_thread

    def upload_and_send():
        from rest_framework.test import APIClient

        api = APIClient()
        api.force_authenticate(alice)
        upload = samples.uploaded(api, samples.png(), "dot.png")
        message, _ = chat_actions.do_send_message(
            alice, group.id, text="", client_id="live-1", attachment_ids=[upload["id"]]
        )
        return upload, message

    b = await connect(bob)
    upload, message = await in_thread(upload_and_send)
    [live] = await b.events(group.id, 1)
    assert live["message"]["attachments"][0]["id"] == upload["id"]
    assert live["message"]["attachments"][0]["kind"] == "image"
    await b.disconnect()

    again = await connect(bob, resume={str(group.id): message.seq - 1})
    [replayed] = await again.events(group.id, 1)
    assert replayed["message"]["attachments"] == live["message"]["attachments"]


@pytest.mark.django_db(transaction=True)
async def test_a_socket_send_takes_attachment_ids(alice, bob, group, file_storage):
    from testkit.sockets import connect, in_thread

    def upload():
        from rest_framework.test import APIClient

        api = APIClient()
        api.force_authenticate(alice)
        return samples.uploaded(api, b"over the socket", "ws.txt")

    uploaded = await in_thread(upload)
    a = await connect(alice)
    frame = {"type": "send", "conversation_id": str(group.id), "client_id": "ws-file", "text": ""}
    answer = await a.request({**frame, "attachment_ids": [uploaded["id"]]})
    assert answer["type"] == "ack", answer
    assert [f["name"] for f in answer["result"]["message"]["attachments"]] == ["ws.txt"]
    refused = await a.request({**frame, "client_id": "ws-again", "attachment_ids": [uploaded["id"]]})
    assert refused["error"]["code"] == "invalid"
