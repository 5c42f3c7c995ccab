"""The two-factor endpoints: the code step of a login, and enrolment for the signed-in user.
The rules are in accounts.two_factor; these views parse and render."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import actions, two_factor
from accounts.api.serializers import (
    RecoveryCodesSerializer,
    SessionSerializer,
    TwoFactorCodeSerializer,
    TwoFactorEnrolmentSerializer,
    TwoFactorLoginSerializer,
    TwoFactorProofSerializer,
    TwoFactorStatusSerializer,
)
from accounts.api.views import PublicEndpoint, parse, session_response
from chatsite.api_errors import error_responses


class TwoFactorLoginView(PublicEndpoint):
    @extend_schema(
        operation_id="auth_login_two_factor",
        request=TwoFactorLoginSerializer,
        responses={200: SessionSerializer, **error_responses(400, 415, 429)},
        summary="Sign in, second step: the challenge from the login and a code or a passkey's answer",
    )
    def post(self, request):
        data = parse(TwoFactorLoginSerializer, request.data)
        user = two_factor.user_of_challenge(data["challenge"])
        instance, token = actions.do_login(
            request, user, device=data["device"], code=data.get("code"), passkey=data.get("passkey")
        )
        return session_response(instance, token, user, status.HTTP_200_OK)


class TwoFactorView(APIView):
    @extend_schema(
        operation_id="me_two_factor_get",
        responses={200: TwoFactorStatusSerializer, **error_responses(401)},
        summary="Whether two-factor sign-in is on, and how many recovery codes are left",
    )
    def get(self, request):
        return Response(TwoFactorStatusSerializer(two_factor.status_of(request.user)).data)


class TwoFactorEnrolView(APIView):
    @extend_schema(
        operation_id="me_two_factor_enrol",
        request=None,
        responses={200: TwoFactorEnrolmentSerializer, **error_responses(401, 409)},
        summary="Start enrolment: a new secret for the authenticator app",
    )
    def post(self, request):
        return Response(TwoFactorEnrolmentSerializer(two_factor.do_start_enrolment(request.user)).data)


class TwoFactorConfirmView(APIView):
    @extend_schema(
        operation_id="me_two_factor_confirm",
        request=TwoFactorCodeSerializer,
        responses={200: RecoveryCodesSerializer, **error_responses(400, 401, 409, 415)},
        summary="Finish enrolment with a code from the app; returns the recovery codes once",
    )
    def post(self, request):
        data = parse(TwoFactorCodeSerializer, request.data)
        codes = two_factor.do_confirm_enrolment(request, request.user, data["code"])
        return Response(RecoveryCodesSerializer({"recovery_codes": codes}).data)


class TwoFactorDisableView(APIView):
    @extend_schema(
        operation_id="me_two_factor_disable",
        request=TwoFactorProofSerializer,
        responses={204: None, **error_responses(400, 401, 409, 415, 429)},
        summary="Turn two-factor sign-in off (password and a code)",
    )
    def post(self, request):
        data = parse(TwoFactorProofSerializer, request.data)
        two_factor.do_disable(request, request.user, data["password"], data["code"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class RecoveryCodesView(APIView):
    @extend_schema(
        operation_id="me_two_factor_recovery_codes",
        request=TwoFactorProofSerializer,
        responses={200: RecoveryCodesSerializer, **error_responses(400, 401, 409, 415, 429)},
        summary="New recovery codes (password and a code); the old ones stop working",
    )
    def post(self, request):
        data = parse(TwoFactorProofSerializer, request.data)
        codes = two_factor.do_regenerate_recovery_codes(request, request.user, data["password"], data["code"])
        return Response(RecoveryCodesSerializer({"recovery_codes": codes}).data)
