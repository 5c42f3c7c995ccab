"""The admin site, with the second factor: its login form asks for the code, and a session that
did not pass one doesn't reach the admin when accounts.two_factor says it must."""

from django import forms
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError

from accounts import two_factor
from chatsite.api_errors import ApiError


class TwoFactorAdminLoginForm(AdminAuthenticationForm):
    code = forms.CharField(
        label="Two-factor code",
        required=False,
        max_length=32,
        help_text="From your authenticator app, or a recovery code. Leave empty if you have none.",
    )

    def clean(self):
        cleaned = super().clean()
        user = self.get_user()
        if user is None:
            return cleaned
        if two_factor.is_enabled(user):
            try:
                two_factor.check_code(self.request, user, cleaned.get("code", ""))
            except ApiError as error:
                raise ValidationError(error.message, code=error.code) from None
            two_factor.mark_session_verified(self.request)
        elif two_factor.is_required(user):
            raise ValidationError(
                "Staff need two-factor sign-in for the admin: turn it on in the app first.", code="two_factor_required"
            )
        return cleaned


class ChatAdminSite(admin.AdminSite):
    login_form = TwoFactorAdminLoginForm

    def has_permission(self, request):
        return super().has_permission(request) and two_factor.admin_allowed(request)
