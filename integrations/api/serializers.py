from rest_framework import serializers

from accounts.api.serializers import PublicProfileSerializer, StrictSerializer, Text


class IncomingWebhookCreateSerializer(StrictSerializer):
    bot_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    name = Text(max_length=64)


class IncomingWebhookSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    bot = PublicProfileSerializer()
    created_at = serializers.DateTimeField()


class IncomingWebhookCreatedSerializer(IncomingWebhookSerializer):
    url = serializers.CharField(help_text='POST {"text": "..."} here. Shown this once; keep it secret.')


class IncomingWebhookListSerializer(serializers.Serializer):
    results = IncomingWebhookSerializer(many=True)


class IncomingPostSerializer(serializers.Serializer):
    text = serializers.CharField()
    client_id = serializers.CharField(required=False, help_text="Optional: a retry with the same id posts once.")


class PostedSerializer(serializers.Serializer):
    message_id = serializers.UUIDField()
    seq = serializers.IntegerField()


class OutgoingWebhookCreateSerializer(StrictSerializer):
    bot_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    url = Text(max_length=500)
    trigger = serializers.ChoiceField(choices=["all", "mention"], default="mention")


class OutgoingWebhookSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    bot = PublicProfileSerializer()
    url = serializers.CharField()
    trigger = serializers.CharField()
    created_at = serializers.DateTimeField()


class OutgoingWebhookCreatedSerializer(OutgoingWebhookSerializer):
    secret = serializers.CharField(help_text="Signs every POST (X-Chatsite-Signature). Shown this once.")


class OutgoingWebhookListSerializer(serializers.Serializer):
    results = OutgoingWebhookSerializer(many=True)
