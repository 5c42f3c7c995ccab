"""The JSON contract of the accounts API. Rules about users live in accounts.actions and the model."""

from collections.abc import Mapping

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import USERNAME_MAX_LENGTH, User
from chatsite.api_errors import ApiError
from chatsite.strict import TextField

PASSWORD_MAX_LENGTH = 256  # bounds the work the password validators and hashers do per request
DEVICE_MAX_LENGTH = 64


def _max_length(name):
    return User._meta.get_field(name).max_length


class Text(TextField):
    """A JSON string and nothing else (DRF's CharField would take 12 as "12"), on one line: no
    control characters, not even a line break."""

    default_error_messages = {"not_a_string": "Must be a string."}

    def __init__(self, **kwargs):
        kwargs.setdefault("single_line", True)
        super().__init__(**kwargs)


# Refuses fields it doesn't know, so that a typo is an error and not a silent no-op. (A comment, not
# a docstring: the schema would give the docstring to every request body built on it.)
class StrictSerializer(serializers.Serializer):
    # field name -> why it is refused, for fields a client might reasonably try
    refused = {}

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                fields = {name: [self.refused.get(name, "Unknown field.")] for name in unknown}
                raise ApiError("unknown_fields", f"Unknown fields: {', '.join(unknown)}.", fields=fields)
        return super().to_internal_value(data)


# --- input ---


class RegisterSerializer(StrictSerializer):
    username = Text(max_length=USERNAME_MAX_LENGTH, trim_whitespace=False)
    password = Text(max_length=PASSWORD_MAX_LENGTH, trim_whitespace=False, style={"input_type": "password"})
    email = Text(max_length=_max_length("email"), required=False, allow_blank=True, default="")
    display_name = Text(max_length=_max_length("display_name"), required=False, allow_blank=True, default="")
    device = Text(max_length=DEVICE_MAX_LENGTH, required=False, allow_blank=True, default="")


class LoginSerializer(StrictSerializer):
    username = Text(max_length=_max_length("username"), trim_whitespace=False)
    password = Text(max_length=PASSWORD_MAX_LENGTH, trim_whitespace=False, style={"input_type": "password"})
    device = Text(max_length=DEVICE_MAX_LENGTH, required=False, allow_blank=True, default="")


class PasswordChangeSerializer(StrictSerializer):
    old_password = Text(max_length=PASSWORD_MAX_LENGTH, trim_whitespace=False, style={"input_type": "password"})
    new_password = Text(max_length=PASSWORD_MAX_LENGTH, trim_whitespace=False, style={"input_type": "password"})


class ProfileUpdateSerializer(StrictSerializer):
    refused = {
        "username": "The username can't be changed here.",
        "password": "Change the password with POST /api/v1/auth/password.",  # nosec B105 - help text naming an endpoint, not a password
        "email": "The email can't be changed here.",
        "id": "Read-only.",
        "date_joined": "Read-only.",
    }

    display_name = Text(max_length=_max_length("display_name"), required=False, allow_blank=True)
    avatar_url = Text(max_length=_max_length("avatar_url"), required=False, allow_blank=True)
    bio = Text(max_length=_max_length("bio"), required=False, allow_blank=True, single_line=False)
    status_text = Text(max_length=_max_length("status_text"), required=False, allow_blank=True)


class UserSearchSerializer(serializers.Serializer):
    q = serializers.CharField(min_length=1, max_length=64, help_text="Prefix of a username or display name.")
    limit = serializers.IntegerField(min_value=1, max_value=50, default=20, required=False)

    def validate_q(self, value):
        # People type mentions with the "@"; usernames never contain one.
        value = value.removeprefix("@")
        if not value:
            raise serializers.ValidationError("Type at least one character after the @.")
        return value


# --- output ---


class BlankAsNull:
    """An optional field stored as "" is null in the answer, so that its format (email, uri)
    holds whenever it has a value, as the schema says."""

    def __init__(self, **kwargs):
        super().__init__(read_only=True, allow_null=True, **kwargs)

    def to_representation(self, value):
        return None if value in ("", None) else super().to_representation(value)


class OptionalEmail(BlankAsNull, serializers.EmailField):
    pass


class OptionalUrl(BlankAsNull, serializers.URLField):
    pass


def avatar_path(user) -> str | None:
    """The uploaded picture's URL on this site, versioned so that it may be cached for good; None
    without a picture, or for an account that is banned or deactivated (its picture is not
    served). Relative: the browser client loads it from its own origin (CSP img-src 'self').
    The files app serves it; its route is found by name, so accounts imports nothing of files."""
    if not user.avatar_version or not user.is_active:
        return None
    return f"{reverse('files:user-avatar', args=[user.pk])}?v={user.avatar_version}"


@extend_schema_field(
    {
        "type": "string",
        "format": "uri-reference",
        "nullable": True,
        "description": "The uploaded picture (a path on this site, versioned: add `&size=64` or "
        "`&size=256`), else the http(s) URL set in the profile; null when neither.",
    }
)
class AvatarUrl(serializers.Field):
    def __init__(self, **kwargs):
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, user):
        return avatar_path(user) or user.avatar_url or None


class PublicProfileSerializer(serializers.ModelSerializer):
    """What anyone signed in may see of a user. Never the email."""

    avatar_url = AvatarUrl()

    class Meta:
        model = User
        fields = ["id", "username", "display_name", "avatar_url", "bio", "status_text", "is_bot"]
        read_only_fields = fields


class MeSerializer(serializers.ModelSerializer):
    email = OptionalEmail(help_text="Null when unset.")
    avatar_url = AvatarUrl()

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "email",
            "display_name",
            "avatar_url",
            "bio",
            "status_text",
            "date_joined",
            "is_bot",
        ]
        read_only_fields = fields


class SessionSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send as `Authorization: Token <token>`.")
    expiry = serializers.DateTimeField(allow_null=True)
    user = MeSerializer()


class UserListSerializer(serializers.Serializer):
    results = PublicProfileSerializer(many=True)


# --- two-factor ---

CODE_MAX_LENGTH = 32  # a TOTP code or a recovery code, with the spaces people type


class PasskeyCredential(serializers.DictField):
    """A WebAuthn credential as the browser's PublicKeyCredential.toJSON() gives it; accounts.passkeys
    checks its insides."""


class TwoFactorLoginSerializer(StrictSerializer):
    challenge = Text(max_length=512, help_text="From the login's 202 answer.")
    code = Text(max_length=CODE_MAX_LENGTH, required=False, help_text="From the authenticator app, or a recovery code.")
    passkey = PasskeyCredential(required=False, help_text="Instead of a code: the passkey's answer.")
    device = Text(max_length=DEVICE_MAX_LENGTH, required=False, allow_blank=True, default="")

    def validate(self, data):
        if ("code" in data) == ("passkey" in data):
            raise ApiError("invalid", "Send either a code or a passkey.", fields={"code": ["A code or a passkey."]})
        return data


class PasskeyOptionsSerializer(StrictSerializer):
    challenge = Text(max_length=512, help_text="From the login's 202 answer.")


class PasskeyRegisterSerializer(StrictSerializer):
    name = Text(max_length=64, required=False, allow_blank=True, default="")
    credential = PasskeyCredential()


class PasswordSerializer(StrictSerializer):
    password = Text(max_length=PASSWORD_MAX_LENGTH, trim_whitespace=False, style={"input_type": "password"})


class TwoFactorCodeSerializer(StrictSerializer):
    code = Text(max_length=CODE_MAX_LENGTH)


class TwoFactorProofSerializer(StrictSerializer):
    password = Text(max_length=PASSWORD_MAX_LENGTH, trim_whitespace=False, style={"input_type": "password"})
    code = Text(max_length=CODE_MAX_LENGTH, help_text="From the authenticator app, or a recovery code.")


class TwoFactorChallengeSerializer(serializers.Serializer):
    two_factor_required = serializers.BooleanField(default=True)
    challenge = serializers.CharField(help_text="Send it with the code to POST /api/v1/auth/login/two-factor.")
    passkey = serializers.BooleanField(help_text="Whether a passkey may answer instead of a code.")


class TwoFactorStatusSerializer(serializers.Serializer):
    enabled = serializers.BooleanField()
    authenticator_app = serializers.BooleanField()
    passkeys = serializers.IntegerField()
    required = serializers.BooleanField(help_text="Staff must have it to use the admin (a setting).")
    recovery_codes_left = serializers.IntegerField()


class TwoFactorEnrolmentSerializer(serializers.Serializer):
    secret = serializers.CharField(help_text="Base32; for apps that take the key typed in.")
    otpauth_url = serializers.CharField(help_text="otpauth:// URI, for a QR code.")


class PasskeySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    created_at = serializers.DateTimeField()
    last_used_at = serializers.DateTimeField(allow_null=True)


class PasskeyListSerializer(serializers.Serializer):
    results = PasskeySerializer(many=True)


class PasskeyRegisteredSerializer(serializers.Serializer):
    passkey = PasskeySerializer()
    recovery_codes = serializers.ListField(
        child=serializers.CharField(), help_text="New recovery codes, shown once: only with the first second factor."
    )


class RecoveryCodesSerializer(serializers.Serializer):
    recovery_codes = serializers.ListField(child=serializers.CharField(), help_text="Shown this once only.")


# --- bots ---


class BotCreateSerializer(StrictSerializer):
    username = Text(max_length=USERNAME_MAX_LENGTH, trim_whitespace=False)
    display_name = Text(max_length=_max_length("display_name"), required=False, allow_blank=True, default="")


class BotTokenCreateSerializer(StrictSerializer):
    scopes = serializers.ListField(child=serializers.ChoiceField(choices=["read", "send", "manage"]), min_length=1)
    label = Text(max_length=64, required=False, allow_blank=True, default="")


class BotSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "username", "display_name", "is_bot", "is_active", "date_joined"]
        read_only_fields = fields


class BotListSerializer(serializers.Serializer):
    results = BotSerializer(many=True)


class BotTokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Shown this once. Send as `Authorization: Token <token>`.")
    scopes = serializers.ListField(child=serializers.CharField())
