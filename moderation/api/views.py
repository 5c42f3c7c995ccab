"""The moderation REST API: members report messages to the moderators."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from chatsite.api_errors import error_responses
from chatsite.strict import StrictSerializer, TextField, parse
from moderation import actions


class ReportIn(StrictSerializer):
    reason = TextField(max_length=500)


class ReportView(APIView):
    @extend_schema(
        summary="Report a message to the moderators",
        request=ReportIn,
        responses={
            201: inline_serializer(
                "ReportCreated", {"id": serializers.IntegerField(), "status": serializers.CharField()}
            ),
            **error_responses(400, 401, 403, 404, 409),
        },
    )
    def post(self, request, conversation_id, message_id):
        data = parse(ReportIn, request.data)
        report = actions.do_report_message(request.user, conversation_id, message_id, data["reason"])
        return Response({"id": report.pk, "status": report.status}, status=status.HTTP_201_CREATED)
