"""The admin of conversations and of the report queue, for moderators."""

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode

from chats.models import Conversation, Membership
from chatsite.admin_views import ReadOnlyAdmin
from chatsite.api_errors import ApiError
from moderation import actions as moderation
from moderation.admin_support import each_row, reason_action, refused
from moderation.models import MessageReport


def messages_link(text, **query):
    """A link to the moderation message search (the messages live in the store, not in a table)."""
    return format_html('<a href="{}?{}">{}</a>', reverse("admin:moderation_message_changelist"), urlencode(query), text)


class MembershipInline(admin.TabularInline):
    # Read-only: joins, kicks and role changes go through chats.actions, which log them in the
    # conversation (with a seq) and tell the members' sockets.
    model = Membership
    extra = 0
    fields = ("user", "role", "joined_at", "last_read_seq")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Conversation)
class ConversationAdmin(ReadOnlyAdmin):
    """Conversations and their members, for moderators to look at; every change to them is a
    conversation event that chats.actions makes, so none is made here."""

    list_display = ("__str__", "kind", "is_public", "created_at", "archived_at", "message_list")
    list_filter = ("kind", "is_public")
    search_fields = ("title", "topic", "=id", "memberships__user__username")
    inlines = [MembershipInline]

    @admin.display(description="messages")
    def message_list(self, conversation):
        return messages_link("messages", conversation=conversation.pk)


def _resolve(outcome, done):
    def apply(modeladmin, request, queryset, reason):
        # One call for the whole selection: one transaction, one audit row and event per report.
        try:
            closed, skipped = moderation.do_resolve_reports(request.user, [r.pk for r in queryset], outcome, reason)
        except ApiError as error:
            return refused(modeladmin, request, error)
        if closed:
            modeladmin.message_user(request, f"{done}: {len(closed)}.", messages.SUCCESS)
        if skipped:
            modeladmin.message_user(request, f"Skipped {skipped} already closed.", messages.WARNING)

    return apply


def _delete_reported(moderator, report, reason):
    # Deleting the message also resolves every open report of it as actioned, so a second selected
    # report of the same message is already done.
    report.refresh_from_db(fields=["status"])
    if report.status == MessageReport.Status.OPEN:
        moderation.do_delete_message(moderator, report.message_id, reason)


@admin.register(MessageReport)
class MessageReportAdmin(ReadOnlyAdmin):
    """The moderation queue: reports are resolved or dismissed only through the actions, singly or
    in bulk, which log each decision in the audit log."""

    list_display = ("id", "status", "reason", "text_snapshot", "sender_id", "reporter", "created_at", "message")
    list_filter = ("status",)
    list_select_related = ("reporter",)
    search_fields = ("reason", "text_snapshot", "=message_id")
    ordering = ("-created_at",)
    actions = [
        reason_action(
            "dismiss_reports",
            description="Dismiss the selected reports",
            permission="resolve",
            apply=_resolve(MessageReport.Status.DISMISSED, "Dismissed"),
        ),
        reason_action(
            "resolve_reports",
            description="Resolve the selected reports as actioned",
            permission="resolve",
            apply=_resolve(MessageReport.Status.ACTIONED, "Resolved"),
        ),
        reason_action(
            "delete_reported_messages",
            description="Delete the reported messages (and resolve their reports)",
            permission="delete_message",
            apply=each_row(_delete_reported, done="Deleted the message of reports"),
        ),
    ]

    def has_resolve_permission(self, request):
        return request.user.has_perm(moderation.RESOLVE_REPORT)

    def has_delete_message_permission(self, request):
        return request.user.has_perm(moderation.DELETE_MESSAGE)

    @admin.display(description="message")
    def message(self, report):
        return messages_link("view", message=report.message_id)
