"""Ids and seqs beyond 64 bits name nothing: every endpoint answers 404 or 400, never a 500
(SQLite raises OverflowError on them, PostgreSQL DataError)."""

import pytest

pytestmark = pytest.mark.django_db

HUGE = 2**63  # one past the largest 64-bit key
HUGER = 10**20


@pytest.mark.parametrize("big", [HUGE, HUGER])
@pytest.mark.parametrize(
    "method,path,body",
    [
        ("delete", "/api/v1/conversations/{group}/members/{big}", None),
        ("patch", "/api/v1/conversations/{group}/members/{big}", {"role": "admin"}),
        ("post", "/api/v1/conversations/{group}/members", {"user_id": "{big}"}),
        ("post", "/api/v1/conversations/direct", {"user_id": "{big}"}),
        ("post", "/api/v1/conversations", {"kind": "group", "title": "t", "member_ids": ["{big}"]}),
        ("get", "/api/v1/conversations/{group}/messages?before={big}", None),
        ("get", "/api/v1/conversations/{group}/messages?around={big}", None),
        ("get", "/api/v1/conversations/{group}/events?after={big}", None),
        ("post", "/api/v1/conversations/{group}/read", {"seq": "{big}"}),
        ("get", "/api/v1/users/{big}", None),
        ("put", "/api/v1/blocks/{big}", None),
        ("put", "/api/v1/graph/following/{big}", None),
        ("get", "/api/v1/graph/path/{big}", None),
    ],
)
def test_an_id_beyond_64_bits_is_a_clean_404_or_400(client_for, alice, group, big, method, path, body):
    def fill(value):
        if isinstance(value, str):
            filled = value.format(group=group.id, big=big)
            return int(filled) if filled.isdigit() else filled
        if isinstance(value, list):
            return [fill(v) for v in value]
        if isinstance(value, dict):
            return {k: fill(v) for k, v in value.items()}
        return value

    response = getattr(client_for(alice), method)(fill(path), fill(body), format="json")
    assert response.status_code in (400, 404), response.content
    assert response.json()["error"]["code"]
