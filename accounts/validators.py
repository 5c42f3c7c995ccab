"""Validators for account fields and passwords (the password ones are listed in
AUTH_PASSWORD_VALIDATORS)."""

from django.core.exceptions import ValidationError

from chatsite.strict import validate_visible_text

__all__ = ["NotOnlyWhitespacePasswordValidator", "validate_display_name"]


def validate_display_name(value: str) -> None:
    """No control, bidi or zero-width characters: a name must look like what it is."""
    validate_visible_text(value)


class NotOnlyWhitespacePasswordValidator:
    """Twelve spaces pass the length rule but are no secret."""

    def validate(self, password, user=None):
        if not password.strip():
            raise ValidationError("The password can't be only spaces.", code="password_only_whitespace")

    def get_help_text(self):
        return "Your password can't be only spaces."
