from rest_framework import serializers

from accounts.api.serializers import PublicProfileSerializer


class BlockSerializer(serializers.Serializer):
    user = PublicProfileSerializer(source="blocked")
    created_at = serializers.DateTimeField()


class BlockListSerializer(serializers.Serializer):
    results = BlockSerializer(many=True)
