import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext

from chats import actions, selectors
from chats.models import Conversation, Membership
from chatsite.api_errors import ApiError
from testkit.factories import group_of, send

pytestmark = pytest.mark.django_db


def roles(conversation):
    return dict(Membership.objects.filter(conversation=conversation).values_list("user__username", "role"))


def test_creating_a_group_makes_the_creator_owner(client_for, alice, bob):
    response = client_for(alice).post(
        "/api/v1/conversations", {"kind": "group", "title": "Book club", "member_ids": [bob.pk]}, format="json"
    )
    assert response.status_code == 201
    conversation = Conversation.objects.get(pk=response.json()["id"])
    assert roles(conversation) == {"alice": "owner", "bob": "member"}


def test_only_channels_can_be_public(client_for, alice):
    response = client_for(alice).post(
        "/api/v1/conversations", {"kind": "group", "title": "x", "is_public": True}, format="json"
    )
    assert response.status_code == 400
    assert "is_public" in response.json()["error"]["fields"]


def test_one_direct_conversation_per_pair(client_for, alice, bob):
    first = client_for(alice).post("/api/v1/conversations/direct", {"user_id": bob.pk}, format="json")
    again = client_for(bob).post("/api/v1/conversations/direct", {"user_id": alice.pk}, format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    conversation = Conversation.objects.get(pk=first.json()["id"])
    assert roles(conversation) == {"alice": "member", "bob": "member"}


def test_a_direct_conversation_with_yourself_is_refused(client_for, alice):
    assert (
        client_for(alice).post("/api/v1/conversations/direct", {"user_id": alice.pk}, format="json").status_code == 400
    )


def test_anyone_may_join_a_public_channel_but_not_a_group(client_for, alice, carol, group):
    channel = actions.do_create_conversation(alice, kind="channel", title="general", is_public=True)
    assert client_for(carol).post(f"/api/v1/conversations/{channel.id}/join").status_code == 201
    assert client_for(carol).post(f"/api/v1/conversations/{channel.id}/join").status_code == 409
    assert client_for(carol).post(f"/api/v1/conversations/{group.id}/join").status_code == 404


def test_public_channels_are_listed_and_readable_by_non_members(client_for, alice, carol):
    channel = actions.do_create_conversation(alice, kind="channel", title="announcements", is_public=True)
    send(alice, channel, "hello world")
    api = client_for(carol)
    assert [c["title"] for c in api.get("/api/v1/channels").json()["results"]] == ["announcements"]
    assert [m["text"] for m in api.get(f"/api/v1/conversations/{channel.id}/messages").json()["results"]] == [
        "hello world"
    ]
    refused = api.post(f"/api/v1/conversations/{channel.id}/messages", {"client_id": "a", "text": "x"}, format="json")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "not_member"


def test_admins_invite_and_members_do_not(client_for, alice, bob, carol, group):
    assert (
        client_for(bob)
        .post(f"/api/v1/conversations/{group.id}/members", {"user_id": carol.pk}, format="json")
        .status_code
        == 403
    )
    assert (
        client_for(alice)
        .post(f"/api/v1/conversations/{group.id}/members", {"user_id": carol.pk}, format="json")
        .status_code
        == 201
    )
    assert roles(group)["carol"] == "member"
    again = client_for(alice).post(f"/api/v1/conversations/{group.id}/members", {"user_id": carol.pk}, format="json")
    assert again.status_code == 409


def test_owner_promotes_and_demotes(client_for, alice, bob, group):
    base = f"/api/v1/conversations/{group.id}/members/{bob.pk}"
    assert client_for(alice).patch(base, {"role": "admin"}, format="json").json()["role"] == "admin"
    assert (
        client_for(bob)
        .patch(f"/api/v1/conversations/{group.id}/members/{alice.pk}", {"role": "member"}, format="json")
        .status_code
        == 403
    )
    assert client_for(alice).patch(base, {"role": "member"}, format="json").json()["role"] == "member"
    assert client_for(alice).patch(base, {"role": "owner"}, format="json").status_code == 400


def test_kick_rules(client_for, alice, bob, carol, group):
    actions.do_invite(alice, group.id, carol)
    actions.do_set_role(alice, group.id, bob, "admin")
    # an admin removes a member, not the owner; the owner removes an admin
    assert client_for(bob).delete(f"/api/v1/conversations/{group.id}/members/{carol.pk}").status_code == 204
    assert client_for(bob).delete(f"/api/v1/conversations/{group.id}/members/{alice.pk}").status_code == 403
    assert client_for(alice).delete(f"/api/v1/conversations/{group.id}/members/{bob.pk}").status_code == 204
    assert roles(group) == {"alice": "owner"}


def test_a_kicked_member_loses_access(client_for, alice, bob, group):
    send(alice, group, "before")
    actions.do_kick(alice, group.id, bob)
    assert client_for(bob).get(f"/api/v1/conversations/{group.id}/messages").status_code == 404


def test_when_the_owner_leaves_the_oldest_admin_takes_over(client_for, alice, bob, carol, group):
    actions.do_invite(alice, group.id, carol)
    actions.do_set_role(alice, group.id, carol, "admin")
    assert client_for(alice).post(f"/api/v1/conversations/{group.id}/leave").status_code == 204
    assert roles(group) == {"bob": "member", "carol": "owner"}


def test_a_direct_conversation_cannot_be_left(client_for, alice, bob):
    dm, _ = actions.do_open_direct(alice, bob)
    assert client_for(alice).post(f"/api/v1/conversations/{dm.id}/leave").status_code == 409


def test_rename_and_topic_are_events_with_seq(client_for, alice, bob, group):
    api = client_for(alice)
    response = api.patch(f"/api/v1/conversations/{group.id}", {"title": "Team B", "topic": "Q3"}, format="json")
    assert (response.json()["title"], response.json()["topic"]) == ("Team B", "Q3")
    events = api.get(f"/api/v1/conversations/{group.id}/events", {"after": 0}).json()["results"]
    assert events[-1]["type"] == "conversation.updated"
    assert events[-1]["data"] == {"title": "Team B", "topic": "Q3"}
    assert (
        client_for(bob).patch(f"/api/v1/conversations/{group.id}", {"title": "Mine"}, format="json").status_code == 403
    )


def test_only_the_owner_archives(client_for, alice, bob, group):
    assert client_for(bob).post(f"/api/v1/conversations/{group.id}/archive").status_code == 403
    assert client_for(alice).post(f"/api/v1/conversations/{group.id}/archive").json()["archived"] is True


def test_a_socket_reads_its_conversations_and_the_people_it_shares_them_with_in_one_query(
    alice, bob, carol, make_user, django_assert_num_queries
):
    team = group_of(alice, bob, carol)
    pair = group_of(alice, bob, title="Pair")
    group_of(bob, carol, title="Without alice")
    make_user("dave")  # shares nothing with alice
    with django_assert_num_queries(1):
        conversations, co_members = selectors.socket_conversations(alice.pk, 10)
    assert sorted(conversations) == sorted([str(team.id), str(pair.id)])  # the groups' names use this form
    assert sorted(co_members) == sorted([bob.pk, carol.pk])  # bob once, though in both

    _, capped = selectors.socket_conversations(alice.pk, 1)
    assert len(capped) == 1 and capped[0] in (bob.pk, carol.pk)
    assert selectors.socket_conversations(make_user("erin").pk, 10) == ([], [])


def _concrete(instance):
    return {f.attname: getattr(instance, f.attname) for f in type(instance)._meta.concrete_fields}


def test_the_access_check_reads_a_membership_and_its_conversation_as_the_orm_does_in_one_query(
    alice, bob, group, django_assert_num_queries
):
    with django_assert_num_queries(1):
        conversation, membership = selectors.conversation_for(alice, group.id)
    expected = Membership.objects.select_related("conversation").get(user=alice, conversation=group)
    assert _concrete(membership) == _concrete(expected)
    assert _concrete(conversation) == _concrete(expected.conversation)
    assert membership.conversation is conversation  # attached: reading it asks nothing more
    # The id may come as a UUID or as its text, as URLs and frames give it.
    assert selectors.conversation_for(bob, str(group.id))[1].user_id == bob.pk


def test_the_access_check_refuses_a_stranger_and_lets_anyone_see_a_public_channel(alice, carol, group, make_user):
    with pytest.raises(ApiError) as refused:
        selectors.conversation_for(carol, group.id)
    assert refused.value.code == "not_found"
    channel = Conversation.objects.create(kind=Conversation.Kind.CHANNEL, title="Open", is_public=True)
    assert selectors.conversation_for(carol, channel.id) == (channel, None)
    with pytest.raises(ValidationError):  # a malformed id is refused as the ORM refused it
        selectors.conversation_for(alice, "not-a-uuid")


@pytest.mark.django_db(transaction=True)
def test_the_locking_access_check_holds_the_membership_row_only_and_only_inside_a_transaction(alice, group):
    if connection.features.has_select_for_update:  # SQLite locks the whole database instead, as the ORM does
        with pytest.raises(TransactionManagementError):
            selectors.conversation_for(alice, group.id, lock=True)
    with transaction.atomic(), CaptureQueriesContext(connection) as captured:
        _, membership = selectors.conversation_for(alice, group.id, lock=True)
    assert membership.user_id == alice.pk
    (sql,) = [q["sql"] for q in captured.captured_queries if "SELECT" in q["sql"]]
    assert sql.endswith("FOR UPDATE OF m") == connection.features.has_select_for_update


def test_the_memberships_of_several_senders_are_read_in_one_query_and_only_members_come_back(
    alice, bob, carol, group, django_assert_num_queries
):
    with django_assert_num_queries(1):
        found = selectors.memberships_in(group.id, {bob.pk, carol.pk, alice.pk})
    assert sorted(found) == [alice.pk, bob.pk]  # carol is no member
    assert all(m.conversation.pk == group.pk for m in found.values())
    with django_assert_num_queries(0):
        assert selectors.memberships_in(group.id, []) == {}
