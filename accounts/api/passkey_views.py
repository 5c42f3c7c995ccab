"""The passkey endpoints: the options of a sign-in's passkey step, and the signed-in user's
passkeys. The rules are in accounts.passkeys; these views parse and render."""

from drf_spectacular.utils import OpenApiTypes, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import passkeys, two_factor
from accounts.api.serializers import (
    PasskeyListSerializer,
    PasskeyOptionsSerializer,
    PasskeyRegisteredSerializer,
    PasskeyRegisterSerializer,
    PasswordSerializer,
)
from accounts.api.views import PublicEndpoint, parse
from chatsite.api_errors import error_responses


class LoginPasskeyOptionsView(PublicEndpoint):
    @extend_schema(
        operation_id="auth_login_passkey_options",
        request=PasskeyOptionsSerializer,
        responses={200: OpenApiTypes.OBJECT, **error_responses(400, 409, 415)},
        summary="Sign in, second step with a passkey: the options for navigator.credentials.get()",
    )
    def post(self, request):
        data = parse(PasskeyOptionsSerializer, request.data)
        user = two_factor.user_of_challenge(data["challenge"])
        return Response(passkeys.do_start_assertion(request, user))


class PasskeysView(APIView):
    @extend_schema(
        operation_id="me_passkeys_list",
        responses={200: PasskeyListSerializer, **error_responses(401)},
        summary="Your passkeys",
    )
    def get(self, request):
        return Response(PasskeyListSerializer({"results": passkeys.of_user(request.user)}).data)

    @extend_schema(
        operation_id="me_passkeys_add",
        request=PasskeyRegisterSerializer,
        responses={201: PasskeyRegisteredSerializer, **error_responses(400, 401, 409, 415)},
        summary="Add a passkey: the answer of navigator.credentials.create() to the options",
    )
    def post(self, request):
        data = parse(PasskeyRegisterSerializer, request.data)
        passkey, codes = passkeys.do_register(request, request.user, data["name"], data["credential"])
        body = PasskeyRegisteredSerializer({"passkey": passkey, "recovery_codes": codes}).data
        return Response(body, status=status.HTTP_201_CREATED)


class PasskeyOptionsView(APIView):
    @extend_schema(
        operation_id="me_passkeys_options",
        request=None,
        responses={200: OpenApiTypes.OBJECT, **error_responses(401, 409)},
        summary="The options for navigator.credentials.create(), for a new passkey",
    )
    def post(self, request):
        return Response(passkeys.do_start_registration(request, request.user))


class PasskeyRemoveView(APIView):
    @extend_schema(
        operation_id="me_passkeys_remove",
        request=PasswordSerializer,
        responses={204: None, **error_responses(400, 401, 404, 415, 429)},
        summary="Remove a passkey (the password again)",
    )
    def post(self, request, passkey_id):
        data = parse(PasswordSerializer, request.data)
        passkeys.do_remove(request, request.user, passkey_id, data["password"])
        return Response(status=status.HTTP_204_NO_CONTENT)
