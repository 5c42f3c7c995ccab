"""Bad input gets a 4xx JSON error in the API's shape, never a 500."""

import uuid

import pytest

from testkit.factories import send

pytestmark = pytest.mark.django_db


def assert_error(response, status):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body["error"]) == {"code", "message", "fields"}
    return body["error"]


@pytest.mark.parametrize(
    "body",
    [
        {"client_id": "a", "text": "x" * 4001},
        {"client_id": "a", "text": 42},
        {"client_id": "a", "text": ["list"]},
        {"client_id": "a", "text": ""},
        {"client_id": "a", "text": "   "},
        {"client_id": "", "text": "hi"},
        {"client_id": "has space", "text": "hi"},
        {"client_id": "a" * 65, "text": "hi"},
        {"text": "hi"},
        {"client_id": "a", "text": "hi", "sender_id": 1},
        {"client_id": "a", "text": "hi", "parent_id": "not-a-uuid"},
        {"client_id": "a", "text": "hi", "parent_id": str(uuid.uuid4())},
        [],
        "just a string",
    ],
)
def test_bad_send_bodies_are_400(client_for, alice, group, body):
    error = assert_error(client_for(alice).post(f"/api/v1/conversations/{group.id}/messages", body, format="json"), 400)
    assert error["code"] in {"invalid", "too_long"}


def test_malformed_json_is_400(client_for, alice, group):
    response = client_for(alice).post(
        f"/api/v1/conversations/{group.id}/messages", "{not json", content_type="application/json"
    )
    assert_error(response, 400)


def test_unknown_fields_are_named(client_for, alice, group):
    error = assert_error(
        client_for(alice).post(
            f"/api/v1/conversations/{group.id}/messages",
            {"client_id": "a", "text": "hi", "pinned": True},
            format="json",
        ),
        400,
    )
    assert error["fields"] == {"pinned": ["Unknown field."]}


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/conversations/not-a-uuid/messages",
        "/api/v1/conversations/123/messages",
        f"/api/v1/conversations/{uuid.uuid4()}/messages",
        f"/api/v1/conversations/{uuid.uuid4()}/messages/also-bad/history",
        "/api/v1/conversations/{gid}/members/abc",
    ],
)
def test_bad_or_unknown_ids_are_404_json(client_for, alice, group, path):
    assert_error(client_for(alice).get(path.replace("{gid}", str(group.id))), 404)


@pytest.mark.parametrize("query", [{"limit": -5}, {"limit": "ten"}, {"around": 0}, {"after": -1}, {"limit": 10**30}])
def test_bad_page_queries_are_400(client_for, alice, group, query):
    assert_error(client_for(alice).get(f"/api/v1/conversations/{group.id}/messages", query), 400)


def test_bad_reaction_emoji_is_400(client_for, alice, group):
    message = send(alice, group)
    assert_error(
        client_for(alice).put(f"/api/v1/conversations/{group.id}/messages/{message.id}/reactions/{'x' * 33}"), 400
    )


@pytest.mark.parametrize(
    "body",
    [
        {"kind": "direct", "title": "x"},
        {"kind": "group"},
        {"kind": "group", "title": "x", "member_ids": ["a"]},
        {"kind": "group", "title": "x", "member_ids": [999999]},
    ],
)
def test_bad_conversation_bodies_are_400(client_for, alice, body):
    assert_error(client_for(alice).post("/api/v1/conversations", body, format="json"), 400)


@pytest.mark.parametrize("body", [{"seq": -1}, {"seq": "x"}, {}, {"seq": True}])
def test_bad_read_markers_are_400(client_for, alice, group, body):
    assert_error(client_for(alice).post(f"/api/v1/conversations/{group.id}/read", body, format="json"), 400)
