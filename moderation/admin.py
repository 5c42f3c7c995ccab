from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.http import urlencode

from chats.models import Conversation
from chatsite.admin_views import ReadOnlyAdmin
from chatsite.api_errors import ApiError

# The admins of accounts and conversations are moderators' screens too; importing registers them.
from moderation import actions, admin_conversations, admin_held, admin_users, selectors  # noqa: F401
from moderation.admin_support import ReasonForm
from moderation.models import AuditLog, Ban, Message


@admin.register(AuditLog)
class AuditLogAdmin(ReadOnlyAdmin):
    """Every moderator action, read-only: rows are written by moderation.actions and never change."""

    list_display = ("created_at", "moderator_name", "action", "target_type", "target_id", "reason")
    list_filter = ("action", "target_type")
    search_fields = ("=target_id", "moderator_name", "reason")
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in AuditLog._meta.fields]


@admin.register(Ban)
class BanAdmin(ReadOnlyAdmin):
    """Who is banned now; ban and unban are actions on the users list."""

    list_display = ("user", "banned_at", "banned_by", "reason")
    list_select_related = ("user", "banned_by")
    search_fields = ("user__username", "reason")


class MessageSearchForm(forms.Form):
    q = forms.CharField(label="Words", required=False, max_length=200)
    conversation = forms.UUIDField(label="Conversation id", required=False)
    message = forms.UUIDField(label="Message id", required=False)


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    """Messages live in the message store (SQL or MongoDB), not in a table of this database, so this
    admin has its own two pages, both through the store port: search, and delete with a reason."""

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("", view(self.search_view), name="moderation_message_changelist"),
            path("<str:message_id>/delete/", view(self.delete_view), name="moderation_message_delete"),
        ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def search_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        form = MessageSearchForm(request.GET or None)
        found = []
        if form.is_valid():
            data = form.cleaned_data
            if data["message"]:
                found = [m for m in [selectors.find_message(data["message"])] if m]
            else:
                found = selectors.search_messages(data["q"], data["conversation"])
        context = {
            **self.admin_site.each_context(request),
            "title": "Messages",
            "opts": self.model._meta,
            "form": form,
            "searched": form.is_bound,
            "rows": _rows(found),
            "can_delete": self.has_delete_permission(request),
        }
        return TemplateResponse(request, "admin/moderation/message_search.html", context)

    def delete_view(self, request, message_id):
        if not self.has_delete_permission(request):
            raise PermissionDenied
        message = selectors.find_message(message_id)
        if message is None:
            self.message_user(request, f"No message with the id {message_id!r}.", messages.ERROR)
            return HttpResponseRedirect(reverse("admin:moderation_message_changelist"))
        form = ReasonForm(request.POST if request.method == "POST" else None)
        if form.is_valid():
            try:
                actions.do_delete_message(request.user, message.id, form.cleaned_data["reason"])
            except ApiError as error:
                self.message_user(request, error.message, messages.ERROR)
            else:
                self.message_user(request, f"Deleted message {message.id}.", messages.SUCCESS)
            query = urlencode({"conversation": message.conversation_id})
            return HttpResponseRedirect(f"{reverse('admin:moderation_message_changelist')}?{query}")
        context = {
            **self.admin_site.each_context(request),
            "title": "Delete a message",
            "opts": self.model._meta,
            "form": form,
            "row": _rows([message])[0],
            "reports": selectors.open_reports_of(message.id),
            "trail": selectors.audit_trail(AuditLog.Target.MESSAGE, message.id),
        }
        return TemplateResponse(request, "admin/moderation/message_delete.html", context)


def _rows(found):
    """Messages with their sender and conversation, in two queries whatever their number."""
    users = get_user_model().objects.in_bulk({m.sender_id for m in found})
    conversations = Conversation.objects.in_bulk({m.conversation_id for m in found})
    return [
        {"message": m, "sender": users.get(m.sender_id), "conversation": conversations.get(m.conversation_id)}
        for m in found
    ]
