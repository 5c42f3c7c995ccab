from rest_framework import serializers

from chatsite.strict import StrictSerializer, TextField


class RunIn(StrictSerializer):
    text = TextField(max_length=4000, help_text='The whole line as typed, e.g. "/topic Plans for May".')
    client_id = TextField(max_length=64, required=False, help_text="Makes a retried /me send once.")


class RunOut(serializers.Serializer):
    command = serializers.CharField()
    result = serializers.CharField(help_text="What happened, for the person who typed it.")


class CommandOut(serializers.Serializer):
    name = serializers.CharField()
    description = serializers.CharField()
    usage = serializers.CharField()
    bot = serializers.CharField(allow_null=True, help_text="The bot that answers it; null for a built-in.")


class RegisterIn(StrictSerializer):
    name = TextField(max_length=32, single_line=True)
    description = TextField(max_length=100, single_line=True)


class BotCommandOut(serializers.Serializer):
    name = serializers.CharField()
    description = serializers.CharField()
