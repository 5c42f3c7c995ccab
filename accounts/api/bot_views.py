"""Bots for their owner: make one, list them, issue and revoke scoped tokens (accounts.bots)."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import bots
from accounts.api.serializers import (
    BotCreateSerializer,
    BotListSerializer,
    BotSerializer,
    BotTokenCreateSerializer,
    BotTokenSerializer,
)
from accounts.api.views import parse
from chatsite.api_errors import error_responses


class BotsView(APIView):
    @extend_schema(operation_id="bots_list", responses={200: BotListSerializer, **error_responses(401)})
    def get(self, request):
        return Response({"results": BotSerializer(bots.bots_of(request.user), many=True).data})

    @extend_schema(
        operation_id="bots_create",
        request=BotCreateSerializer,
        responses={201: BotSerializer, **error_responses(400, 401, 403, 409, 415)},
        summary="Make a bot account owned by you",
    )
    def post(self, request):
        data = parse(BotCreateSerializer, request.data)
        bot = bots.do_create_bot(request.user, data["username"], data["display_name"])
        return Response(BotSerializer(bot).data, status=status.HTTP_201_CREATED)


class BotTokensView(APIView):
    @extend_schema(
        operation_id="bots_token_create",
        request=BotTokenCreateSerializer,
        responses={201: BotTokenSerializer, **error_responses(400, 401, 404, 409, 415)},
        summary="Issue a token for your bot, with scopes read, send and/or manage",
    )
    def post(self, request, bot_id):
        data = parse(BotTokenCreateSerializer, request.data)
        instance, token = bots.do_issue_token(request.user, bot_id, data["scopes"], label=data["label"])
        body = {"token": token, "scopes": sorted(bots.scopes_of(instance))}
        return Response(BotTokenSerializer(body).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        operation_id="bots_tokens_revoke",
        request=None,
        responses={204: None, **error_responses(401, 404)},
        summary="Revoke every token of your bot",
    )
    def delete(self, request, bot_id):
        bots.do_revoke_tokens(request.user, bot_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
