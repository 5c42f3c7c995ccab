"""The files REST API: parse, call an action or selector, render. No rule lives here."""

from django.conf import settings
from django.http import FileResponse, HttpResponseRedirect, JsonResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from chatsite.api_errors import error_body, error_responses
from chatsite.strict import parse
from files import actions, ranges, selectors, signing
from files.api import serializers as api
from files.backends import get_storage

ERRORS = error_responses(400, 401, 404, 409)
UPLOAD_ERRORS = error_responses(400, 401, 404, 409, 413, 415)
# Room for the multipart framing around the file itself.
MULTIPART_SLACK = 64 * 1024


def refuse_big_body(request, limit=None, what="A file"):
    """Answer before reading a body that cannot be under the limit (UPLOAD_MAX_BYTES by default)."""
    limit = settings.UPLOAD_MAX_BYTES if limit is None else limit
    length = request.META.get("CONTENT_LENGTH") or "0"
    if length.isdigit() and int(length) > limit + MULTIPART_SLACK:
        raise actions.too_big(limit, what)


class UploadsView(APIView):
    parser_classes = [MultiPartParser]

    @extend_schema(
        summary="Upload a file (multipart, field `file`); its type is found in its bytes",
        request={"multipart/form-data": api.UploadIn},
        responses={201: api.UploadSerializer, **UPLOAD_ERRORS},
    )
    def post(self, request):
        refuse_big_body(request)
        data = parse(api.UploadIn, request.data)
        name = data.get("name") or data["file"].name
        upload = actions.do_upload(request.user, data["file"], name)
        return Response(api.UploadSerializer(upload).data, status=status.HTTP_201_CREATED)


class PresignView(APIView):
    @extend_schema(
        summary="Start a big upload: a URL to PUT the bytes to, then POST .../confirm",
        request=api.PresignIn,
        responses={201: api.PresignOut, **UPLOAD_ERRORS},
    )
    def post(self, request):
        data = parse(api.PresignIn, request.data)
        upload, target = actions.do_presign(request.user, data["name"], data["size"])
        body = {"upload": upload, "put": target}
        return Response(api.PresignOut(body).data, status=status.HTTP_201_CREATED)


class ConfirmView(APIView):
    @extend_schema(
        summary="Finish a presigned upload: the bytes are checked as a direct upload's are",
        request=None,
        responses={200: api.UploadSerializer, **UPLOAD_ERRORS},
    )
    def post(self, request, upload_id):
        upload = actions.do_confirm(request.user, upload_id)
        return Response(api.UploadSerializer(upload).data)


class UploadView(APIView):
    @extend_schema(summary="One of my uploads", responses={200: api.UploadSerializer, **ERRORS})
    def get(self, request, upload_id):
        return Response(api.UploadSerializer(selectors.own_upload(request.user, upload_id)).data)

    @extend_schema(summary="Take back an upload not sent in a message", responses={204: None, **ERRORS})
    def delete(self, request, upload_id):
        actions.do_remove_upload(request.user, upload_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class DownloadView(APIView):
    @extend_schema(
        summary="Redirect to a short-lived link of a file (members of its conversation only)",
        parameters=[api.VariantQuery],
        responses={302: None, **ERRORS},
    )
    def get(self, request, upload_id):
        variant = parse(api.VariantQuery, request.query_params)["variant"]
        url = selectors.download_link(selectors.upload_for(request.user, upload_id), variant)
        response = HttpResponseRedirect(url)
        response["Cache-Control"] = "private, no-store"
        return response


class LinkView(APIView):
    @extend_schema(
        summary="A short-lived link of a file, as JSON (members of its conversation only)",
        parameters=[api.VariantQuery],
        responses={200: api.LinkSerializer, **ERRORS},
    )
    def get(self, request, upload_id):
        variant = parse(api.VariantQuery, request.query_params)["variant"]
        url = selectors.download_link(selectors.upload_for(request.user, upload_id), variant)
        return Response({"url": url, "expires_in": settings.DOWNLOAD_URL_SECONDS})


class PreviewImageView(APIView):
    @extend_schema(
        summary="Redirect to a short-lived link of a link preview's stored image (signed-in users)",
        responses={302: None, **ERRORS},
    )
    def get(self, request, preview_id):
        # The image came from a public page, and its id is known only to those who saw the message.
        response = HttpResponseRedirect(selectors.preview_image_link(preview_id))
        response["Cache-Control"] = "private, no-store"
        return response


def _error(code, message, status_code):
    return JsonResponse(error_body(code, message), status=status_code)


class MediaView(View):
    """Serves a signed link. The token is the permission (a separate MEDIA_ORIGIN gets no session
    cookie), and says the name and type to serve it under."""

    def get(self, request, token):
        try:
            found = signing.read_download(token)
        except signing.BadToken:
            return _error("link_expired", "This link has expired or is not valid; ask for a new one.", 404)
        storage = get_storage()
        size = storage.size(found["k"])
        if size is None:
            return _error("not_found", "File not found.", 404)
        wanted = ranges.requested(request.headers.get("Range", ""), size)
        if wanted is ranges.UNSATISFIABLE:
            response = _error("range_not_satisfiable", f"The file has {size} bytes.", 416)
            response["Content-Range"] = f"bytes */{size}"
            return response
        try:
            blob = storage.open_range(found["k"], *wanted) if wanted else storage.open(found["k"])
        except FileNotFoundError:
            return _error("not_found", "File not found.", 404)
        response = FileResponse(blob, content_type=found["t"], as_attachment=not found["i"], filename=found["n"])
        if wanted:
            # A video or a resumed download asked for a part: only that part, and where it sits.
            response.status_code = 206
            response["Content-Range"] = f"bytes {wanted[0]}-{wanted[1]}/{size}"
            response["Content-Length"] = str(wanted[1] - wanted[0] + 1)
        else:
            response["Content-Length"] = str(size)
        response["Accept-Ranges"] = "bytes"
        response["X-Content-Type-Options"] = "nosniff"
        # Whatever the bytes are, nothing in them may run or load anything with this site's rights.
        response["Content-Security-Policy"] = "default-src 'none'; img-src 'self' data:; sandbox"
        response["Cache-Control"] = f"private, max-age={settings.DOWNLOAD_URL_SECONDS}"
        response["Cross-Origin-Resource-Policy"] = "cross-origin" if settings.MEDIA_ORIGIN else "same-origin"
        return response


@method_decorator(csrf_exempt, name="dispatch")
class BlobUploadView(View):
    """The target of a presigned upload on the filesystem store (an S3 store takes it itself).
    The signed token names the key and the exact size; the bytes are checked at confirm."""

    def put(self, request, token):
        try:
            found = signing.read_upload(token)
        except signing.BadToken:
            return _error("link_expired", "This upload link has expired or is not valid.", 403)
        length = request.META.get("CONTENT_LENGTH") or ""
        if not length.isdigit() or int(length) != found["s"]:
            return _error("size_mismatch", "Send exactly the number of bytes announced.", 400)
        # request.read streams the body: request.body would refuse anything over 2.5 MB.
        get_storage().put(found["k"], _Bounded(request, found["s"]), found["t"])
        return JsonResponse({}, status=200)


class _Bounded:
    """A request body read up to the announced size and no further."""

    def __init__(self, request, size):
        self.request, self.left = request, size

    def read(self, n=-1):
        if self.left <= 0:
            return b""
        n = self.left if n is None or n < 0 else min(n, self.left)
        chunk = self.request.read(n)
        self.left -= len(chunk)
        return chunk
