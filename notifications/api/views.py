"""The notifications REST API: devices, preferences, a conversation's settings, the VAPID key,
and the digest's one-click unsubscribe. Parse, call an action or selector, render."""

from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from chatsite.api_errors import error_responses
from chatsite.strict import parse
from notifications import actions, digests, planner, selectors, vapid
from notifications.api import serializers as api

ERRORS = error_responses(400, 401, 403, 404, 409)


class DevicesView(APIView):
    @extend_schema(
        summary="My push devices",
        responses={200: inline_serializer("DeviceList", {"results": api.DeviceOut(many=True)}), **ERRORS},
    )
    def get(self, request):
        return Response({"results": api.DeviceOut(selectors.devices_of(request.user), many=True).data})

    @extend_schema(
        summary="Register a browser's Web Push subscription or a phone's FCM or APNs token",
        request=api.DeviceIn,
        responses={201: api.DeviceOut, 200: api.DeviceOut, **ERRORS},
    )
    def post(self, request):
        data = parse(api.DeviceIn, request.data)
        device, created = actions.do_register_device(
            request.user,
            data["kind"],
            subscription=data.get("subscription"),
            token=data.get("token"),
            app_id=data["app_id"],
            locale=data["locale"],
        )
        return Response(api.DeviceOut(device).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class DeviceView(APIView):
    @extend_schema(summary="Forget a push device", responses={204: None, **ERRORS})
    def delete(self, request, device_id):
        actions.do_remove_device(request.user, device_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebPushKeyView(APIView):
    @extend_schema(
        summary="The server's VAPID public key, for PushManager.subscribe",
        responses={200: inline_serializer("WebPushKey", {"public_key": serializers.CharField()}), **ERRORS},
    )
    def get(self, request):
        return Response({"public_key": vapid.public_key()})


def _preferences(prefs):
    return api.PreferencesOut(prefs).data


class PreferencesView(APIView):
    @extend_schema(summary="My notification preferences", responses={200: api.PreferencesOut, **ERRORS})
    def get(self, request):
        return Response(_preferences(actions.preferences_of(request.user)))

    @extend_schema(
        summary="Change my notification preferences",
        request=api.PreferencesIn,
        responses={200: api.PreferencesOut, **ERRORS},
    )
    def patch(self, request):
        changes = parse(api.PreferencesIn, request.data)
        return Response(_preferences(actions.do_update_preferences(request.user, dict(changes))))


class PhoneView(APIView):
    @extend_schema(
        summary="Send a code by SMS to the number I want texts at (SMS stays off until it is confirmed)",
        request=api.PhoneIn,
        responses={202: None, **error_responses(400, 401, 409, 429)},
    )
    def post(self, request):
        actions.do_start_phone_check(request.user, parse(api.PhoneIn, request.data)["phone"])
        return Response(status=status.HTTP_202_ACCEPTED)

    @extend_schema(summary="Forget my phone number (SMS off)", responses={200: api.PreferencesOut, **ERRORS})
    def delete(self, request):
        return Response(_preferences(actions.do_remove_phone(request.user)))


class PhoneConfirmView(APIView):
    @extend_schema(
        summary="Confirm my phone number with the code it received",
        request=api.PhoneCodeIn,
        responses={200: api.PreferencesOut, **ERRORS},
    )
    def post(self, request):
        code = parse(api.PhoneCodeIn, request.data)["code"]
        return Response(_preferences(actions.do_confirm_phone(request.user, code)))


def _conversation(pref, rule):
    return api.ConversationNotificationsOut(
        {"level": pref.level, "muted_until": pref.muted_until, "mention_all_notifies": rule.mention_all_notifies}
    ).data


class ConversationNotificationsView(APIView):
    @extend_schema(
        summary="My notification settings for one conversation",
        responses={200: api.ConversationNotificationsOut, **ERRORS},
    )
    def get(self, request, conversation_id):
        return Response(_conversation(*actions.conversation_settings(request.user, conversation_id)))

    @extend_schema(
        summary="Change my notification settings for one conversation (admins: whether @all notifies)",
        request=api.ConversationNotificationsIn,
        responses={200: api.ConversationNotificationsOut, **ERRORS},
    )
    def patch(self, request, conversation_id):
        changes = parse(api.ConversationNotificationsIn, request.data)
        return Response(_conversation(*actions.do_update_conversation(request.user, conversation_id, dict(changes))))


class AlertView(APIView):
    @extend_schema(
        summary="Whether an open tab should show a notification for a message it received, and what",
        description="The rules of a push (levels, mutes, quiet hours, keywords, the channels chosen) for "
        "the caller and one message. A tab asks for messages of conversations it is not showing, so that "
        "notifications work where no push service can be reached; it shows them under the push's tag.",
        responses={200: api.AlertOut, **ERRORS},
    )
    def get(self, request, conversation_id, message_id):
        alert = planner.alert_for(request.user, conversation_id, message_id)
        return Response(api.AlertOut({"notify": True, **alert} if alert else {"notify": False}).data)


@method_decorator(csrf_exempt, name="dispatch")  # the signed token is the credential (RFC 8058)
class UnsubscribeView(APIView):
    """GET shows a page with a button (a link scanner's GET changes nothing); POST unsubscribes,
    which is what a mail client's one-click `List-Unsubscribe-Post` does."""

    authentication_classes = []
    permission_classes = [AllowAny]
    parser_classes = [FormParser, JSONParser]

    @extend_schema(exclude=True)
    def get(self, request):
        token = request.query_params.get("token", "")
        valid = digests.user_of_token(token) is not None
        html = render_to_string("notifications/unsubscribe.html", {"token": token, "valid": valid, "done": False})
        return HttpResponse(html, status=200 if valid else 400)

    @extend_schema(exclude=True)
    def post(self, request):
        token = request.query_params.get("token", "") or request.data.get("token", "")
        user_id = digests.user_of_token(token)
        done = user_id is not None and actions.do_unsubscribe_email(user_id)
        html = render_to_string("notifications/unsubscribe.html", {"token": token, "valid": done, "done": done})
        return HttpResponse(html, status=200 if done else 400)
