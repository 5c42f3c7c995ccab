from rest_framework import serializers

from chatsite.strict import StrictSerializer, TextField
from notifications.models import ConversationPreference, Level, PushDevice


class KeysIn(StrictSerializer):
    p256dh = TextField(max_length=200, single_line=True)
    auth = TextField(max_length=100, single_line=True)


class SubscriptionIn(StrictSerializer):
    endpoint = TextField(max_length=1024, single_line=True)
    keys = KeysIn()
    expirationTime = serializers.IntegerField(required=False, allow_null=True)


class DeviceIn(StrictSerializer):
    kind = serializers.ChoiceField(choices=PushDevice.Kind.choices)
    subscription = SubscriptionIn(required=False)
    token = TextField(max_length=512, single_line=True, required=False)
    app_id = TextField(max_length=200, single_line=True, required=False, default="")
    locale = TextField(max_length=35, single_line=True, required=False, default="")


class DeviceOut(serializers.ModelSerializer):
    class Meta:
        model = PushDevice
        fields = ["id", "kind", "endpoint", "app_id", "locale", "created_at", "last_success_at"]


class ChannelsField(serializers.DictField):
    child = serializers.ListField(child=serializers.CharField())


class PreferencesIn(StrictSerializer):
    level = serializers.ChoiceField(choices=Level.choices, required=False)
    keywords = serializers.ListField(child=TextField(max_length=50, single_line=True), required=False, max_length=20)
    muted_until = serializers.DateTimeField(required=False, allow_null=True)
    dnd_start = serializers.TimeField(required=False, allow_null=True)
    dnd_end = serializers.TimeField(required=False, allow_null=True)
    time_zone = TextField(max_length=64, single_line=True, required=False)
    language = TextField(max_length=16, single_line=True, required=False, allow_blank=True)
    push_shows_text = serializers.BooleanField(required=False)
    channels = ChannelsField(required=False)


class PreferencesOut(serializers.Serializer):
    level = serializers.CharField()
    keywords = serializers.ListField(child=serializers.CharField())
    muted_until = serializers.DateTimeField(allow_null=True)
    dnd_start = serializers.TimeField(allow_null=True, format="%H:%M")
    dnd_end = serializers.TimeField(allow_null=True, format="%H:%M")
    time_zone = serializers.CharField()
    language = serializers.CharField()
    push_shows_text = serializers.BooleanField()
    channels = ChannelsField()
    phone = serializers.CharField()
    phone_verified = serializers.BooleanField()


class PhoneIn(StrictSerializer):
    phone = TextField(max_length=20, single_line=True)


class PhoneCodeIn(StrictSerializer):
    code = TextField(max_length=12, single_line=True)


class ConversationNotificationsIn(StrictSerializer):
    level = serializers.ChoiceField(choices=ConversationPreference.LEVELS, required=False)
    muted_until = serializers.DateTimeField(required=False, allow_null=True)
    mention_all_notifies = serializers.BooleanField(required=False)


class ConversationNotificationsOut(serializers.Serializer):
    level = serializers.CharField()
    muted_until = serializers.DateTimeField(allow_null=True)
    mention_all_notifies = serializers.BooleanField()


class AlertOut(serializers.Serializer):
    notify = serializers.BooleanField(help_text="whether this person's settings want a notification for the message")
    title = serializers.CharField(required=False)
    body = serializers.CharField(required=False)
