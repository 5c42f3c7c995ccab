"""The chat REST API: parse, call an action or selector, render. No rule lives here."""

from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.selectors import user_or_404
from chats import actions, group_commit, selectors
from chats.api import serializers as api
from chats.serializers import (
    ConversationListItemSerializer,
    ConversationSerializer,
    EditSerializer,
    EventSerializer,
    FollowedThreadSerializer,
    HeldMessageSerializer,
    MembershipSerializer,
    MessageSerializer,
    ThreadFollowSerializer,
    ThreadSerializer,
    message_data,
)
from chatsite.api_errors import ErrorSerializer, error_responses
from chatsite.strict import parse

ERRORS = error_responses(400, 401, 403, 404, 409)
SEND_ERRORS = error_responses(400, 401, 403, 404, 409, 422, 429)


def _results(serializer_class, items):
    return Response({"results": serializer_class(items, many=True).data})


def _list_of(serializer_class, name):
    return inline_serializer(name, {"results": serializer_class(many=True)})


class ConversationsView(APIView):
    @extend_schema(
        operation_id="conversations_list",
        summary="My conversations, newest activity first, with unread counts and last message",
        responses={200: _list_of(ConversationListItemSerializer, "ConversationList"), **ERRORS},
    )
    def get(self, request):
        return _results(ConversationListItemSerializer, selectors.conversation_list(request.user))

    @extend_schema(
        summary="Create a group or a channel",
        request=api.CreateConversationIn,
        responses={201: ConversationSerializer, **ERRORS},
    )
    def post(self, request):
        data = parse(api.CreateConversationIn, request.data)
        conversation = actions.do_create_conversation(
            request.user,
            kind=data["kind"],
            title=data["title"],
            topic=data["topic"],
            is_public=data["is_public"],
            member_ids=data["member_ids"],
        )
        return Response(ConversationSerializer(conversation).data, status=status.HTTP_201_CREATED)


class DirectView(APIView):
    @extend_schema(
        summary="Open (or get) the direct conversation with a user",
        request=api.OpenDirectIn,
        responses={200: ConversationSerializer, 201: ConversationSerializer, **ERRORS},
    )
    def post(self, request):
        data = parse(api.OpenDirectIn, request.data)
        conversation, created = actions.do_open_direct(request.user, user_or_404(data["user_id"]))
        return Response(ConversationSerializer(conversation).data, status=201 if created else 200)


class PublicChannelsView(APIView):
    @extend_schema(
        summary="Public channels anyone may join",
        parameters=[api.ChannelQuery],
        responses={200: _list_of(ConversationSerializer, "ChannelList"), **ERRORS},
    )
    def get(self, request):
        query = parse(api.ChannelQuery, request.query_params)
        return _results(ConversationSerializer, selectors.public_channels(query["q"], query["limit"]))


class ConversationView(APIView):
    @extend_schema(summary="One conversation", responses={200: ConversationSerializer, **ERRORS})
    def get(self, request, conversation_id):
        conversation, _ = selectors.conversation_for(request.user, conversation_id)
        return Response(ConversationSerializer(conversation).data)

    @extend_schema(
        summary="Rename or set the topic (owner or admin)",
        request=api.UpdateConversationIn,
        responses={200: ConversationSerializer, **ERRORS},
    )
    def patch(self, request, conversation_id):
        changes = parse(api.UpdateConversationIn, request.data)
        conversation = actions.do_update_conversation(request.user, conversation_id, **changes)
        return Response(ConversationSerializer(conversation).data)


class ArchiveView(APIView):
    @extend_schema(
        summary="Archive (owner): read-only from now on",
        request=None,
        responses={200: ConversationSerializer, **ERRORS},
    )
    def post(self, request, conversation_id):
        return Response(ConversationSerializer(actions.do_archive(request.user, conversation_id)).data)


class JoinView(APIView):
    @extend_schema(summary="Join a public channel", request=None, responses={201: MembershipSerializer, **ERRORS})
    def post(self, request, conversation_id):
        membership = actions.do_join(request.user, conversation_id)
        return Response(MembershipSerializer(membership).data, status=status.HTTP_201_CREATED)


class LeaveView(APIView):
    @extend_schema(summary="Leave a group or channel", request=None, responses={204: None, **ERRORS})
    def post(self, request, conversation_id):
        actions.do_leave(request.user, conversation_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MembersView(APIView):
    @extend_schema(
        summary="Members and their roles", responses={200: _list_of(MembershipSerializer, "MemberList"), **ERRORS}
    )
    def get(self, request, conversation_id):
        selectors.conversation_for(request.user, conversation_id)
        return _results(MembershipSerializer, selectors.members(conversation_id))

    @extend_schema(
        summary="Invite a user (owner or admin)", request=api.InviteIn, responses={201: MembershipSerializer, **ERRORS}
    )
    def post(self, request, conversation_id):
        data = parse(api.InviteIn, request.data)
        membership = actions.do_invite(request.user, conversation_id, user_or_404(data["user_id"]))
        return Response(MembershipSerializer(membership).data, status=status.HTTP_201_CREATED)


class MemberView(APIView):
    @extend_schema(
        summary="Promote or demote a member (owner)",
        request=api.RoleIn,
        responses={200: MembershipSerializer, **ERRORS},
    )
    def patch(self, request, conversation_id, user_id):
        data = parse(api.RoleIn, request.data)
        membership = actions.do_set_role(request.user, conversation_id, user_or_404(user_id), data["role"])
        return Response(MembershipSerializer(membership).data)

    @extend_schema(summary="Remove a member (owner or admin)", responses={204: None, **ERRORS})
    def delete(self, request, conversation_id, user_id):
        actions.do_kick(request.user, conversation_id, user_or_404(user_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class MessagesView(APIView):
    @extend_schema(
        summary="A page of messages by seq: newest, or before, after or around a seq",
        parameters=[api.PageQuery],
        responses={200: _list_of(MessageSerializer, "MessagePage"), **ERRORS},
    )
    def get(self, request, conversation_id):
        query = parse(api.PageQuery, request.query_params)
        return _results(MessageSerializer, selectors.message_page(request.user, conversation_id, **query))

    @extend_schema(
        summary="Send a message; a retry with the same client_id returns the first one (200)",
        description="A send the moderation models hold for review is answered 202 with the error code "
        "held_for_review: it is not sent, and nobody else sees it until a moderator approves it (then it "
        "is sent as written, and a retry with its client_id returns it). 422 spam_suspected, "
        "abuse_suspected or held_rejected: refused.",
        request=api.SendIn,
        responses={
            201: MessageSerializer,
            200: MessageSerializer,
            202: OpenApiResponse(ErrorSerializer, description="held_for_review: waits for a moderator"),
            **SEND_ERRORS,
        },
    )
    def post(self, request, conversation_id):
        data = parse(api.SendIn, request.data)
        message, created = group_commit.send_blocking(actions.SendRequest(request.user, conversation_id, **data))
        return Response(message_data(message), status=201 if created else 200)


class HeldView(APIView):
    @extend_schema(
        summary="My own sends in this conversation held for review: pending, or rejected",
        responses={200: _list_of(HeldMessageSerializer, "HeldMessageList"), **ERRORS},
    )
    def get(self, request, conversation_id):
        return _results(HeldMessageSerializer, selectors.own_held_messages(request.user, conversation_id))


class EventsView(APIView):
    @extend_schema(
        summary="The conversation's events after a seq, in order (to fill a gap)",
        parameters=[api.EventsQuery],
        responses={200: _list_of(EventSerializer, "EventPage"), **ERRORS},
    )
    def get(self, request, conversation_id):
        query = parse(api.EventsQuery, request.query_params)
        return _results(
            EventSerializer, selectors.events_after(request.user, conversation_id, query["after"], query["limit"])
        )


class MessageView(APIView):
    @extend_schema(
        operation_id="conversations_message_get",
        summary="One message (e.g. the parent of a reply)",
        responses={200: MessageSerializer, **ERRORS},
    )
    def get(self, request, conversation_id, message_id):
        message = selectors.message_with_thread(request.user, conversation_id, message_id)
        return Response(message_data(message))

    @extend_schema(summary="Edit your message", request=api.EditIn, responses={200: MessageSerializer, **ERRORS})
    def patch(self, request, conversation_id, message_id):
        data = parse(api.EditIn, request.data)
        message = actions.do_edit_message(request.user, conversation_id, message_id, data["text"])
        return Response(message_data(message))

    @extend_schema(
        summary="Delete a message (sender, admin or owner); leaves a tombstone",
        responses={200: MessageSerializer, **ERRORS},
    )
    def delete(self, request, conversation_id, message_id):
        message = actions.do_delete_message(request.user, conversation_id, message_id)
        return Response(message_data(message))


class HistoryView(APIView):
    @extend_schema(
        summary="Earlier texts of an edited message", responses={200: _list_of(EditSerializer, "EditList"), **ERRORS}
    )
    def get(self, request, conversation_id, message_id):
        return _results(EditSerializer, selectors.message_history(request.user, conversation_id, message_id))


class ReactionView(APIView):
    @extend_schema(summary="Add your reaction (idempotent)", request=None, responses={200: MessageSerializer, **ERRORS})
    def put(self, request, conversation_id, message_id, emoji):
        message = actions.do_react(request.user, conversation_id, message_id, emoji, add=True)
        return Response(message_data(message))

    @extend_schema(summary="Remove your reaction (idempotent)", responses={200: MessageSerializer, **ERRORS})
    def delete(self, request, conversation_id, message_id, emoji):
        message = actions.do_react(request.user, conversation_id, message_id, emoji, add=False)
        return Response(message_data(message))


class PinView(APIView):
    @extend_schema(summary="Pin a message", request=None, responses={200: MessageSerializer, **ERRORS})
    def put(self, request, conversation_id, message_id):
        return Response(message_data(actions.do_set_pinned(request.user, conversation_id, message_id, True)))

    @extend_schema(summary="Unpin a message", responses={200: MessageSerializer, **ERRORS})
    def delete(self, request, conversation_id, message_id):
        return Response(message_data(actions.do_set_pinned(request.user, conversation_id, message_id, False)))


class PreviewsView(APIView):
    @extend_schema(
        summary="Remove the link previews of your own message (idempotent)",
        responses={200: MessageSerializer, **ERRORS},
    )
    def delete(self, request, conversation_id, message_id):
        message = actions.do_remove_previews(request.user, conversation_id, message_id)
        return Response(message_data(message))


class PinsView(APIView):
    @extend_schema(summary="Pinned messages", responses={200: _list_of(MessageSerializer, "PinnedList"), **ERRORS})
    def get(self, request, conversation_id):
        return _results(MessageSerializer, selectors.pinned_messages(request.user, conversation_id))


class ReadView(APIView):
    @extend_schema(
        summary="Mark read up to a seq (the marker only moves forward)",
        request=api.ReadIn,
        responses={200: inline_serializer("ReadMarker", {"last_read_seq": serializers.IntegerField()}), **ERRORS},
    )
    def post(self, request, conversation_id):
        data = parse(api.ReadIn, request.data)
        return Response({"last_read_seq": actions.do_mark_read(request.user, conversation_id, data["seq"])})


class ThreadView(APIView):
    @extend_schema(
        summary="A thread: its root (with reply count and last reply time) and a page of its replies",
        description="Replies oldest first: the newest `limit`, or those before or after a seq.",
        parameters=[api.ThreadQuery],
        responses={200: ThreadSerializer, **ERRORS},
    )
    def get(self, request, conversation_id, root_id):
        query = parse(api.ThreadQuery, request.query_params)
        root, replies, follow = selectors.thread_page(request.user, conversation_id, root_id, **query)
        return Response(ThreadSerializer({"root": root, "replies": replies, "follow": follow}).data)


class ThreadFollowView(APIView):
    @extend_schema(summary="Follow a thread", request=None, responses={200: ThreadFollowSerializer, **ERRORS})
    def put(self, request, conversation_id, root_id):
        return self._set(request, conversation_id, root_id, True)

    @extend_schema(summary="Unfollow a thread", responses={200: ThreadFollowSerializer, **ERRORS})
    def delete(self, request, conversation_id, root_id):
        return self._set(request, conversation_id, root_id, False)

    def _set(self, request, conversation_id, root_id, following):
        follow = actions.do_follow_thread(request.user, conversation_id, root_id, following)
        return Response(ThreadFollowSerializer(follow).data)


class ThreadReadView(APIView):
    @extend_schema(
        summary="Mark a thread read up to a seq (the marker only moves forward)",
        request=api.ReadIn,
        responses={200: inline_serializer("ThreadReadMarker", {"last_read_seq": serializers.IntegerField()}), **ERRORS},
    )
    def post(self, request, conversation_id, root_id):
        data = parse(api.ReadIn, request.data)
        seq = actions.do_mark_thread_read(request.user, conversation_id, root_id, data["seq"])
        return Response({"last_read_seq": seq})


class FollowedThreadsView(APIView):
    @extend_schema(
        summary="The threads I follow, newest reply first, with unread reply counts",
        parameters=[api.FollowedQuery],
        responses={200: _list_of(FollowedThreadSerializer, "FollowedThreadList"), **ERRORS},
    )
    def get(self, request):
        query = parse(api.FollowedQuery, request.query_params)
        return _results(FollowedThreadSerializer, selectors.followed_threads(request.user, query["limit"]))


class SearchView(APIView):
    @extend_schema(
        summary="Full-text search in the conversations you belong to",
        parameters=[api.SearchQuery],
        responses={200: _list_of(MessageSerializer, "SearchResults"), **ERRORS},
    )
    def get(self, request):
        query = parse(api.SearchQuery, request.query_params)
        return _results(MessageSerializer, selectors.search_messages(request.user, query["q"], query["limit"]))
