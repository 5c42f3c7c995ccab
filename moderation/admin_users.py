"""The admin of user accounts: profiles, and the moderation actions on accounts."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.db import transaction
from django.utils.html import format_html

from accounts.actions import do_create_user, do_update_profile
from accounts.api.serializers import avatar_path
from accounts.models import PROFILE_FIELDS, User
from moderation import actions as moderation
from moderation.admin_support import each_row, reason_action


class BannedFilter(admin.SimpleListFilter):
    title = "banned"
    parameter_name = "banned"

    def lookups(self, request, model_admin):
        return [("yes", "Banned"), ("no", "Not banned")]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(ban__isnull=self.value() == "no")
        return queryset


def _can(permission):
    def has_permission(self, request):
        return request.user.has_perm(permission)

    return has_permission


@admin.register(User)
class ChatUserAdmin(UserAdmin):
    fieldsets = (
        *UserAdmin.fieldsets,
        ("Profile", {"fields": [*PROFILE_FIELDS, "picture"]}),
        ("Moderation", {"fields": ["ban_status"]}),
    )
    list_display = ("username", "display_name", "email", "is_active", "banned", "is_staff", "date_joined")
    list_filter = ("is_active", BannedFilter, "is_staff", "is_superuser")
    list_select_related = ("ban",)
    search_fields = ("username", "display_name", "email")
    # Accounts are disabled and enabled only by the moderation actions below, which also revoke
    # logins, close sockets, log and announce; a checkbox would do none of that.
    readonly_fields = ("is_active", "ban_status", "picture")
    actions = [
        reason_action(
            "ban_users",
            description="Ban the selected users",
            permission="ban",
            apply=each_row(moderation.do_ban_user, done="Banned"),
        ),
        reason_action(
            "unban_users",
            description="Unban the selected users",
            permission="ban",
            apply=each_row(moderation.do_unban_user, done="Unbanned"),
        ),
        reason_action(
            "deactivate_users",
            description="Deactivate the selected users",
            permission="deactivate",
            apply=each_row(moderation.do_deactivate_user, done="Deactivated"),
        ),
        reason_action(
            "reactivate_users",
            description="Reactivate the selected users",
            permission="deactivate",
            apply=each_row(moderation.do_reactivate_user, done="Reactivated"),
        ),
        reason_action(
            "reset_two_factor",
            description="Reset the two-factor sign-in of the selected users (lost device)",
            permission="reset_two_factor",
            apply=each_row(moderation.do_reset_two_factor, done="Two-factor sign-in reset"),
        ),
        reason_action(
            "remove_avatars",
            description="Remove the profile picture of the selected users",
            permission="remove_avatar",
            apply=each_row(moderation.do_remove_avatar, done="Picture removed"),
        ),
    ]
    has_ban_permission = _can(moderation.BAN_USER)
    has_deactivate_permission = _can(moderation.DEACTIVATE_USER)
    has_reset_two_factor_permission = _can(moderation.RESET_TWO_FACTOR)
    has_remove_avatar_permission = _can(moderation.REMOVE_AVATAR)

    @admin.display(boolean=True)
    def banned(self, user):
        return hasattr(user, "ban")

    @admin.display(description="uploaded picture")
    def picture(self, user):
        url = avatar_path(user)
        if url is None:
            return "none" if not user.avatar_version else "not shown: the account is disabled"
        return format_html('<img src="{}&amp;size=64" width="64" height="64" alt="">', url)

    @admin.display(description="ban")
    def ban_status(self, user):
        ban = getattr(user, "ban", None)
        if ban is None:
            return "not banned"
        return f"banned {ban.banned_at:%Y-%m-%d %H:%M} by {ban.banned_by or 'a deleted account'}: {ban.reason}"

    def save_model(self, request, obj, form, change):
        # Through the actions, so that an account made or a profile edited here is announced like
        # one made or edited through the API.
        if not change:
            do_create_user(obj, actor=request.user)
            return
        with transaction.atomic():
            do_update_profile(obj, {name: getattr(obj, name) for name in PROFILE_FIELDS}, actor=request.user)
            super().save_model(request, obj, form, change)
