"""Request bodies and responses of the files API."""

from rest_framework import serializers

from chatsite.strict import StrictSerializer, TextField


class UploadSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.CharField(help_text="ready, or pending until a presigned upload is confirmed")
    name = serializers.CharField(help_text="Sanitized; its extension matches the type found in the bytes.")
    size = serializers.IntegerField()
    content_type = serializers.CharField(help_text="Found in the bytes, never taken from the client.")
    kind = serializers.CharField(help_text="image or file")
    width = serializers.IntegerField(allow_null=True)
    height = serializers.IntegerField(allow_null=True)
    animated = serializers.BooleanField()
    placeholder = serializers.CharField(help_text="A tiny blurred image as a data: URL (images)")
    variants = serializers.ListField(child=serializers.CharField(), help_text="Thumbnail sizes: small, large")
    created_at = serializers.DateTimeField()
    message_id = serializers.UUIDField(allow_null=True, help_text="The message that sent it, once sent.")


class UploadIn(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=True, use_url=False)
    name = TextField(max_length=1000, required=False, help_text="Defaults to the file part's name.")


class PresignIn(StrictSerializer):
    name = TextField(max_length=1000)
    size = serializers.IntegerField(min_value=1, max_value=2**62)


class PresignedPutSerializer(serializers.Serializer):
    url = serializers.CharField(help_text="PUT the bytes here (absolute on S3, a path of this server otherwise).")
    headers = serializers.DictField(child=serializers.CharField(), help_text="Send these headers with the PUT.")
    expires_in = serializers.IntegerField()


class PresignOut(serializers.Serializer):
    upload = UploadSerializer()
    put = PresignedPutSerializer()


class VariantQuery(serializers.Serializer):
    variant = serializers.ChoiceField(choices=["original", "small", "large"], default="original")


class LinkSerializer(serializers.Serializer):
    url = serializers.CharField()
    expires_in = serializers.IntegerField()
