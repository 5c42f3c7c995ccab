"""Input serializers that refuse what they do not know, so a typo is an error, not a no-op."""

from rest_framework import serializers


class StrictSerializer(serializers.Serializer):
    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError({"non_field_errors": ["Expected a JSON object."]})
        unknown = sorted(set(data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        return super().to_internal_value(data)


def parse(serializer_class, data, **kwargs):
    """Validated data, or a 400 in the API's error shape."""
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class TextField(serializers.CharField):
    """A CharField that takes only JSON strings: 42 is a wrong type, not the text "42"."""

    default_error_messages = {"not_a_string": "Expected a string."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_a_string")
        return super().to_internal_value(data)
