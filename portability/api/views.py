"""The personal data export's REST API: ask, poll, download. Parse, call, render."""

from django.http import FileResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from chatsite.api_errors import error_responses
from files.backends import get_storage
from portability import actions, selectors
from portability.api.serializers import DataExportSerializer


class ExportsView(APIView):
    @extend_schema(summary="My recent data exports, newest first", responses={200: DataExportSerializer(many=True)})
    def get(self, request):
        return Response(DataExportSerializer(selectors.exports_of(request.user), many=True).data)

    @extend_schema(
        summary="Ask for a zip of all my data (profile, messages, reactions, files); poll it for progress",
        request=None,
        responses={202: DataExportSerializer, **error_responses(401, 409)},
    )
    def post(self, request):
        export = actions.do_request_export(request.user)
        export.refresh_from_db()  # the task may have run already (no broker: tasks run in-process)
        return Response(DataExportSerializer(export).data, status=status.HTTP_202_ACCEPTED)


class ExportView(APIView):
    @extend_schema(summary="One of my data exports: status and progress", responses={200: DataExportSerializer})
    def get(self, request, export_id):
        return Response(DataExportSerializer(selectors.export_of(request.user, export_id)).data)


class DownloadView(APIView):
    @extend_schema(
        summary="Download my data export (the link from download_url)",
        parameters=[OpenApiParameter("token", str, required=True)],
        responses={(200, "application/zip"): bytes, **error_responses(401, 404, 409)},
    )
    def get(self, request, export_id):
        export = selectors.downloadable(request.user, export_id, request.query_params.get("token"))
        response = FileResponse(
            get_storage().open(export.key),
            content_type="application/zip",
            as_attachment=True,
            filename=f"{request.user.username}-data.zip",
        )
        response["Cache-Control"] = "private, no-store"
        return response
