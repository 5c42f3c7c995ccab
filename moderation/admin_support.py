"""Admin pieces the moderation screens share: the "why?" step before an action, and how an
action's outcome is told to the moderator. The rules themselves are in moderation.actions."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.template.response import TemplateResponse

from chatsite.api_errors import ApiError
from moderation.models import REASON_MAX_LENGTH


class ReasonForm(forms.Form):
    reason = forms.CharField(
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
        help_text="Kept in the audit log with your name.",
    )


def reason_action(name, *, description, permission, apply):
    """A changelist action that first asks for a reason on a page of its own (as Django's "delete
    selected" asks for confirmation), then calls `apply(modeladmin, request, queryset, reason)`.
    `permission` names the ModelAdmin's has_<permission>_permission: without it the action is not
    offered, and the action itself checks again."""

    def action(modeladmin, request, queryset):
        form = ReasonForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            apply(modeladmin, request, queryset, form.cleaned_data["reason"])
            return None  # back to the changelist, with the messages
        context = {
            **modeladmin.admin_site.each_context(request),
            "title": description,
            "opts": modeladmin.model._meta,
            "rows": list(queryset),
            "form": form,
            "action": name,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/moderation/reason.html", context)

    action.__name__ = name
    return admin.action(description=description, permissions=[permission])(action)


def each_row(run, done):
    """An `apply` that calls `run(moderator, row, reason)` per selected row. A row the action
    refuses is named in an error message; the others go on."""

    def apply(modeladmin, request, queryset, reason):
        count = 0
        for row in queryset:
            try:
                run(request.user, row, reason)
                count += 1
            except ApiError as error:
                modeladmin.message_user(request, f"{row}: {error.message}", messages.ERROR)
        if count:
            modeladmin.message_user(request, f"{done}: {count}.", messages.SUCCESS)

    return apply


def refused(modeladmin, request, error: ApiError):
    modeladmin.message_user(request, error.message, messages.ERROR)
