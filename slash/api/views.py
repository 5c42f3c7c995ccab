"""Slash commands over REST: the list the composer offers, running one, and bots' owners'
registrations. Parse, call, render."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from chatsite.api_errors import error_responses
from chatsite.strict import parse
from slash import actions, selectors
from slash.api import serializers as api

ERRORS = error_responses(400, 401, 403, 404, 409)


class CommandsView(APIView):
    @extend_schema(
        summary="The slash commands offered in a conversation: built-ins and its bots' commands",
        responses={200: api.CommandOut(many=True), **error_responses(401, 404)},
    )
    def get(self, request, conversation_id):
        return Response(api.CommandOut(selectors.commands_for(request.user, conversation_id), many=True).data)

    @extend_schema(
        summary="Run a slash command in a conversation (the server checks it as the action it stands for)",
        request=api.RunIn,
        responses={200: api.RunOut, **ERRORS},
    )
    def post(self, request, conversation_id):
        data = parse(api.RunIn, request.data)
        result = actions.do_run(request.user, conversation_id, data["text"], data.get("client_id"))
        return Response({"command": actions.parse(data["text"])[0], "result": result})


class BotCommandsView(APIView):
    @extend_schema(summary="My bot's slash commands", responses={200: api.BotCommandOut(many=True), **ERRORS})
    def get(self, request, bot_id):
        return Response(api.BotCommandOut(selectors.commands_of_bot(request.user, bot_id), many=True).data)

    @extend_schema(
        summary="Register a slash command for my bot",
        request=api.RegisterIn,
        responses={201: api.BotCommandOut, **ERRORS},
    )
    def post(self, request, bot_id):
        data = parse(api.RegisterIn, request.data)
        command = actions.do_register(request.user, bot_id, data["name"], data["description"])
        return Response(api.BotCommandOut(command).data, status=status.HTTP_201_CREATED)


class BotCommandView(APIView):
    @extend_schema(summary="Remove one of my bot's slash commands", responses={204: None, **ERRORS})
    def delete(self, request, bot_id, name):
        actions.do_unregister(request.user, bot_id, name)
        return Response(status=status.HTTP_204_NO_CONTENT)
