from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import actions, passkeys, selectors, throttles, two_factor
from accounts.api.serializers import (
    LoginSerializer,
    MeSerializer,
    PasswordChangeSerializer,
    ProfileUpdateSerializer,
    PublicProfileSerializer,
    RegisterSerializer,
    SessionSerializer,
    TwoFactorChallengeSerializer,
    UserListSerializer,
    UserSearchSerializer,
)
from chatsite.api_errors import error_responses


def parse(serializer_class, data):
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def session_response(instance, token, user, status_code):
    body = {"token": token, "expiry": instance.expiry, "user": user}
    return Response(SessionSerializer(body).data, status=status_code)


class PublicEndpoint(APIView):
    # No authentication, hence no CSRF check: API clients sign in without a cookie. Login CSRF from
    # another site is still impossible, since the JSON-only parser needs a JSON content type, which
    # a cross-site form can't send.
    authentication_classes = []
    permission_classes = [AllowAny]


class RegisterView(PublicEndpoint):
    @extend_schema(
        operation_id="auth_register",
        request=RegisterSerializer,
        responses={201: SessionSerializer, **error_responses(400, 415, 429)},
        summary="Create an account and sign this device in",
    )
    def post(self, request):
        throttles.check_register_allowed(request)
        data = parse(RegisterSerializer, request.data)
        device = data.pop("device")
        user = actions.do_register(**data)
        instance, token = actions.do_login(request, user, device=device)
        return session_response(instance, token, user, status.HTTP_201_CREATED)


class LoginView(PublicEndpoint):
    @extend_schema(
        operation_id="auth_login",
        request=LoginSerializer,
        responses={
            200: SessionSerializer,
            202: TwoFactorChallengeSerializer,
            **error_responses(400, 403, 415, 429),
        },
        summary="Sign in: a token for this device, and a browser session",
        description="Unknown user and wrong password both answer 400 `invalid_credentials`. A user with "
        "two-factor on gets 202 and a challenge instead; POST it with a code to /api/v1/auth/login/two-factor.",
    )
    def post(self, request):
        data = parse(LoginSerializer, request.data)
        user = actions.check_login(request, data["username"], data["password"])
        if two_factor.is_enabled(user):
            body = {
                "two_factor_required": True,
                "challenge": two_factor.challenge_for(user),
                "passkey": passkeys.of_user(user).exists(),
            }
            return Response(TwoFactorChallengeSerializer(body).data, status=status.HTTP_202_ACCEPTED)
        instance, token = actions.do_login(request, user, device=data["device"])
        return session_response(instance, token, user, status.HTTP_200_OK)


class LogoutView(APIView):
    @extend_schema(
        operation_id="auth_logout",
        request=None,
        responses={204: None, **error_responses(401)},
        summary="Sign this device out (its token and its session)",
    )
    def post(self, request):
        actions.do_logout(request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class LogoutAllView(APIView):
    @extend_schema(
        operation_id="auth_logout_all",
        request=None,
        responses={204: None, **error_responses(401)},
        summary="Sign every device out, this one included",
    )
    def post(self, request):
        actions.do_logout_all(request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordView(APIView):
    @extend_schema(
        operation_id="auth_password_change",
        request=PasswordChangeSerializer,
        responses={204: None, **error_responses(400, 401, 415)},
        summary="Change the password; every other device is signed out",
    )
    def post(self, request):
        data = parse(PasswordChangeSerializer, request.data)
        actions.do_change_password(request, data["old_password"], data["new_password"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    @extend_schema(operation_id="me_get", responses={200: MeSerializer, **error_responses(401)})
    def get(self, request):
        return Response(MeSerializer(request.user).data)

    @extend_schema(
        operation_id="me_update",
        request=ProfileUpdateSerializer,
        responses={200: MeSerializer, **error_responses(400, 401, 415)},
        summary="Edit the profile (display_name, avatar_url, bio, status_text)",
    )
    def patch(self, request):
        changes = parse(ProfileUpdateSerializer, request.data)
        actions.do_update_profile(request.user, changes)
        return Response(MeSerializer(request.user).data)


class UserSearchView(APIView):
    @extend_schema(
        operation_id="users_search",
        parameters=[UserSearchSerializer],
        responses={200: UserListSerializer, **error_responses(400, 401)},
        summary="Find users by the start of their username or display name",
    )
    def get(self, request):
        query = parse(UserSearchSerializer, request.query_params)
        users = selectors.search_users(request.user.pk, query["q"], limit=query["limit"])
        return Response({"results": PublicProfileSerializer(users, many=True).data})


class UserView(APIView):
    @extend_schema(
        operation_id="users_get",
        responses={200: PublicProfileSerializer, **error_responses(401, 404)},
        summary="A user's public profile",
    )
    def get(self, request, user_id):
        return Response(PublicProfileSerializer(selectors.visible_profile(request.user.pk, user_id)).data)
