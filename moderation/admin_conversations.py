"""The admin of conversations and of the report queue, for moderators."""

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.db.models import OuterRef, Subquery
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode

from chats.models import Conversation, Membership
from chatsite.admin_views import ReadOnlyAdmin
from chatsite.api_errors import ApiError
from moderation import actions as moderation
from moderation import selectors
from moderation.admin_support import each_row, reason_action, refused
from moderation.models import MessageReport

User = get_user_model()


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
    in bulk, which log each decision in the audit log. It opens on the open reports; a report's
    page shows the message among its neighbours and offers the same actions."""

    list_display = ("id", "status", "reason", "text_snapshot", "sender", "reporter", "created_at", "message")
    readonly_fields = ("status", "reason", "sender", "reporter", "created_at", "resolved_at", "resolved_by", "context")
    fields = readonly_fields
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

    def get_queryset(self, request):
        # The sender is a plain id (messages live in the store): their name comes in the same query.
        name = User.objects.filter(pk=OuterRef("sender_id")).values("username")[:1]
        return super().get_queryset(request).annotate(sender_name=Subquery(name))

    def changelist_view(self, request, extra_context=None):
        # The queue is the open reports: landing on it shows those, "All" one click away (a search
        # or a chosen filter is left as asked).
        if request.method == "GET" and not request.GET:
            return HttpResponseRedirect(f"{request.path}?status__exact={MessageReport.Status.OPEN}")
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # The queue's actions for this one report, as buttons that select it on the changelist.
        extra = {**(extra_context or {}), "report_actions": self.get_action_choices(request, default_choices=[])}
        return super().change_view(request, object_id, form_url, extra)

    @admin.display(description="sender")
    def sender(self, report):
        return getattr(report, "sender_name", None) or f"deleted account {report.sender_id}"

    @admin.display(description="in context")
    def context(self, report):
        message = selectors.find_message(report.message_id)
        if message is None:
            return "The message is gone from the store."
        around = selectors.context_of(message)
        names = dict(User.objects.filter(pk__in={m.sender_id for m in around}).values_list("pk", "username"))
        rows = [
            (
                "reported" if m.id == message.id else "",
                names.get(m.sender_id, m.sender_id),
                "(deleted)" if m.is_deleted else m.text,
            )
            for m in around
        ]
        # format_html_join escapes every part: names and texts come from users.
        return format_html(
            '<table class="report-context">{}</table>',
            format_html_join("", '<tr class="{}"><th>{}</th><td>{}</td></tr>', rows),
        )

    def has_resolve_permission(self, request):
        return request.user.has_perm(moderation.RESOLVE_REPORT)

    def has_delete_message_permission(self, request):
        return request.user.has_perm(moderation.DELETE_MESSAGE)

    @admin.display(description="message")
    def message(self, report):
        return messages_link("view", message=report.message_id)
