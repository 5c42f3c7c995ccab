"""Profile pictures over REST: set and remove mine, and serve anyone's I may see."""

from django.conf import settings
from django.http import FileResponse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import actions as account_actions
from accounts.api.serializers import MeSerializer
from chatsite.api_errors import ApiError, error_responses
from chatsite.strict import parse
from files import actions, avatars, selectors
from files.api.views import refuse_big_body
from files.backends import get_storage

CACHED_FOR = 365 * 24 * 3600  # a versioned URL's bytes never change


class AvatarIn(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=True, use_url=False, help_text="PNG, JPEG, WebP or GIF.")


class AvatarQuery(serializers.Serializer):
    size = serializers.ChoiceField(choices=list(avatars.SIZES), default=avatars.DEFAULT_SIZE)
    v = serializers.CharField(required=False, max_length=64, help_text="The version in the profile's avatar_url.")


class MyAvatarView(APIView):
    parser_classes = [MultiPartParser]

    @extend_schema(
        operation_id="me_avatar_set",
        summary="Set my picture (multipart, field `file`): cropped square, stored at 64 and 256 px",
        request={"multipart/form-data": AvatarIn},
        responses={200: MeSerializer, **error_responses(400, 401, 413)},
    )
    def put(self, request):
        refuse_big_body(request, settings.AVATAR_MAX_BYTES, "A picture")
        data = parse(AvatarIn, request.data)
        actions.do_set_avatar(request.user, data["file"])
        return Response(MeSerializer(request.user).data)

    @extend_schema(
        operation_id="me_avatar_remove",
        summary="Remove my picture (initials are shown again)",
        responses={204: None, **error_responses(401)},
    )
    def delete(self, request):
        account_actions.do_remove_avatar(request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class UserAvatarView(APIView):
    @extend_schema(
        operation_id="users_avatar",
        summary="A user's picture (WebP), for those who may see their profile",
        parameters=[AvatarQuery],
        responses={(200, "image/webp"): bytes, **error_responses(400, 401, 404)},
    )
    def get(self, request, user_id):
        query = parse(AvatarQuery, request.query_params)
        key, version = selectors.avatar_key(request.user, user_id, query["size"])
        try:
            blob = get_storage().open(key)
        except FileNotFoundError:
            raise ApiError("not_found", "This user has no picture.", 404) from None
        # The type of the bytes this server encoded (files.images.squares), never the uploaded one.
        response = FileResponse(blob, content_type=avatars.CONTENT_TYPE)
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        # Only a URL naming the current version is cached for good; any other gets today's picture, unkept.
        current = query.get("v") == version
        response["Cache-Control"] = f"private, max-age={CACHED_FOR}, immutable" if current else "private, no-cache"
        response["ETag"] = f'"{version}-{query["size"]}"'
        return response
