from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.db import transaction

from accounts.actions import do_create_user, do_update_profile
from accounts.models import PROFILE_FIELDS, User


@admin.register(User)
class ChatUserAdmin(UserAdmin):
    fieldsets = (*UserAdmin.fieldsets, ("Profile", {"fields": PROFILE_FIELDS}))
    list_display = ("username", "display_name", "email", "is_active", "is_staff", "date_joined")
    search_fields = ("username", "display_name", "email")

    def save_model(self, request, obj, form, change):
        # Through the actions, so that an account made or a profile edited here is announced like
        # one made or edited through the API.
        if not change:
            do_create_user(obj, actor=request.user)
            return
        with transaction.atomic():
            do_update_profile(obj, {name: getattr(obj, name) for name in PROFILE_FIELDS}, actor=request.user)
            super().save_model(request, obj, form, change)
