from django.conf import settings
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.views import parse
from chatsite.api_errors import ApiError, error_responses
from integrations import incoming, outgoing
from integrations.api.serializers import (
    IncomingPostSerializer,
    IncomingWebhookCreatedSerializer,
    IncomingWebhookCreateSerializer,
    IncomingWebhookListSerializer,
    IncomingWebhookSerializer,
    OutgoingWebhookCreatedSerializer,
    OutgoingWebhookCreateSerializer,
    OutgoingWebhookListSerializer,
    OutgoingWebhookSerializer,
    PostedSerializer,
)


class IncomingWebhooksView(APIView):
    @extend_schema(
        operation_id="webhooks_incoming_list",
        responses={200: IncomingWebhookListSerializer, **error_responses(401, 403, 404)},
        summary="The conversation's incoming webhooks (owner and admins)",
    )
    def get(self, request, conversation_id):
        hooks = incoming.hooks_of(request.user, conversation_id)
        return Response({"results": IncomingWebhookSerializer(hooks, many=True).data})

    @extend_schema(
        operation_id="webhooks_incoming_create",
        request=IncomingWebhookCreateSerializer,
        responses={201: IncomingWebhookCreatedSerializer, **error_responses(400, 401, 403, 404, 409, 415)},
        summary="A secret URL that posts into this conversation as your bot (a member of it)",
    )
    def post(self, request, conversation_id):
        data = parse(IncomingWebhookCreateSerializer, request.data)
        hook, secret = incoming.do_create(request.user, conversation_id, data["bot_id"], data["name"])
        url = request.build_absolute_uri(reverse("webhook-incoming-post", args=[secret]))
        body = {**IncomingWebhookSerializer(hook).data, "url": url}
        return Response(body, status=status.HTTP_201_CREATED)


class IncomingWebhookView(APIView):
    @extend_schema(
        operation_id="webhooks_incoming_delete",
        request=None,
        responses={204: None, **error_responses(401, 403, 404)},
    )
    def delete(self, request, conversation_id, hook_id):
        incoming.do_delete(request.user, conversation_id, hook_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class IncomingPostView(APIView):
    # The secret in the URL is the credential; no cookie, hence no CSRF to check.
    authentication_classes = []
    permission_classes = [AllowAny]
    parser_classes = []  # the body is read raw, after its size is checked

    @extend_schema(
        operation_id="webhooks_incoming_post",
        request=IncomingPostSerializer,
        responses={201: PostedSerializer, 200: PostedSerializer, **error_responses(400, 403, 404, 409, 429)},
        summary="Post a message through an incoming webhook",
    )
    def post(self, request, secret):
        declared = request.META.get("CONTENT_LENGTH") or "0"
        if not declared.isdigit() or int(declared) > settings.INCOMING_WEBHOOK_MAX_BYTES:
            raise ApiError("too_large", "The body is too large.", 413)
        message, created = incoming.do_receive(secret, request.body)
        body = PostedSerializer({"message_id": message.id, "seq": message.seq}).data
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class OutgoingWebhooksView(APIView):
    @extend_schema(
        operation_id="webhooks_outgoing_list",
        responses={200: OutgoingWebhookListSerializer, **error_responses(401, 403, 404)},
        summary="The conversation's outgoing webhooks (owner and admins)",
    )
    def get(self, request, conversation_id):
        hooks = outgoing.hooks_of(request.user, conversation_id)
        return Response({"results": OutgoingWebhookSerializer(hooks, many=True).data})

    @extend_schema(
        operation_id="webhooks_outgoing_create",
        request=OutgoingWebhookCreateSerializer,
        responses={201: OutgoingWebhookCreatedSerializer, **error_responses(400, 401, 403, 404, 409, 415)},
        summary="POST this conversation's messages (all, or those mentioning your bot) to a URL, signed",
    )
    def post(self, request, conversation_id):
        data = parse(OutgoingWebhookCreateSerializer, request.data)
        hook = outgoing.do_create(request.user, conversation_id, data["bot_id"], data["url"], data["trigger"])
        body = {**OutgoingWebhookSerializer(hook).data, "secret": hook.secret}
        return Response(body, status=status.HTTP_201_CREATED)


class OutgoingWebhookView(APIView):
    @extend_schema(
        operation_id="webhooks_outgoing_delete",
        request=None,
        responses={204: None, **error_responses(401, 403, 404)},
    )
    def delete(self, request, conversation_id, hook_id):
        outgoing.do_delete(request.user, conversation_id, hook_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
