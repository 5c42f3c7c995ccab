"""Who may do what: every chat endpoint against anonymous, outsider, member, admin, owner and a
member the owner blocked. A conversation you cannot see answers 404, never 403, so that its
existence does not leak."""

from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from chats import actions
from graph.actions import do_block
from testkit.factories import send

ROLES = ["anonymous", "outsider", "member", "admin", "owner", "blocked"]


@pytest.fixture
def world(db):
    make = get_user_model().objects.create_user
    w = SimpleNamespace(**{role: make(role, password="x") for role in ROLES[1:]}, newcomer=make("newcomer"))
    w.group = actions.do_create_conversation(
        w.owner, kind="group", title="G", member_ids=[w.admin.pk, w.member.pk, w.blocked.pk]
    )
    actions.do_set_role(w.owner, w.group.id, w.admin, "admin")
    w.by_member = send(w.member, w.group, "member says")
    w.dm = {
        role: actions.do_open_direct(w.owner, getattr(w, role))[0]
        for role in ("outsider", "member", "admin", "blocked")
    }
    w.dm["owner"] = w.dm["outsider"]
    do_block(w.owner, w.blocked)
    return w


def _(anonymous=401, outsider=404, member=200, admin=200, owner=200, blocked=None):
    return {
        "anonymous": anonymous,
        "outsider": outsider,
        "member": member,
        "admin": admin,
        "owner": owner,
        "blocked": member if blocked is None else blocked,
    }


G = "/api/v1/conversations/{group}"
M = G + "/messages/{by_member}"
CASES = {
    "list conversations": ("get", "/api/v1/conversations", None, _(outsider=200)),
    "create group": (
        "post",
        "/api/v1/conversations",
        {"kind": "group", "title": "t"},
        _(outsider=201, member=201, admin=201, owner=201),
    ),
    "list channels": ("get", "/api/v1/channels", None, _(outsider=200)),
    "search": ("get", "/api/v1/search?q=says", None, _(outsider=200)),
    "open dm with owner": (
        "post",
        "/api/v1/conversations/direct",
        {"user_id": "{owner_id}"},
        _(outsider=200, owner=400, blocked=403),
    ),
    "send in my dm with owner": (
        "post",
        "/api/v1/conversations/{dm}/messages",
        {"client_id": "d", "text": "hi"},
        _(outsider=201, member=201, admin=201, owner=201, blocked=403),
    ),
    "read conversation": ("get", G, None, _()),
    "rename": ("patch", G, {"topic": "t"}, _(member=403)),
    "archive": ("post", G + "/archive", None, _(member=403, admin=403)),
    "join a group": ("post", G + "/join", None, _(member=409, admin=409, owner=409)),
    "leave": ("post", G + "/leave", None, _(member=204, admin=204, owner=204)),
    "list members": ("get", G + "/members", None, _()),
    "invite": ("post", G + "/members", {"user_id": "{newcomer_id}"}, _(member=403, admin=201, owner=201)),
    "promote": ("patch", G + "/members/{member_id}", {"role": "admin"}, _(member=403, admin=403)),
    "kick": ("delete", G + "/members/{member_id}", None, _(member=403, admin=204, owner=204)),
    "read messages": ("get", G + "/messages", None, _()),
    "send": ("post", G + "/messages", {"client_id": "p", "text": "hi"}, _(member=201, admin=201, owner=201)),
    "read events": ("get", G + "/events?after=0", None, _()),
    "edit a member's message": ("patch", M, {"text": "new"}, _(admin=403, owner=403, blocked=403)),
    "delete a member's message": ("delete", M, None, _(blocked=403)),
    "message history": ("get", M + "/history", None, _()),
    "react": ("put", M + "/reactions/ok", None, _()),
    "pin": ("put", M + "/pin", None, _(member=403)),
    "list pins": ("get", G + "/pins", None, _()),
    "mark read": ("post", G + "/read", {"seq": 1}, _()),
    "report a member's message": (
        "post",
        M + "/report",
        {"reason": "spam"},
        _(member=400, admin=201, owner=201, blocked=201),
    ),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", list(CASES))
def test_permission_matrix(world, case, role):
    method, path, body, expected = CASES[case]
    values = {
        "group": world.group.id,
        "by_member": world.by_member.id,
        "dm": world.dm.get(role, world.dm["outsider"]).id,
        "owner_id": world.owner.pk,
        "member_id": world.member.pk,
        "newcomer_id": world.newcomer.pk,
    }
    path = path.format(**values)
    if body:
        body = {k: int(v.format(**values)) if isinstance(v, str) and v.startswith("{") else v for k, v in body.items()}
    client = APIClient()
    if role != "anonymous":
        client.force_authenticate(getattr(world, role))
    response = getattr(client, method)(path, body, format="json")
    assert response.status_code == expected[role], (case, role, response.content)
    if response.status_code >= 400:
        assert "code" in response.json()["error"]
