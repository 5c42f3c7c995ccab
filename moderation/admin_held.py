"""The review queue of sends the moderation models held: scores, the words that weighed most, and
approve or reject, singly or in bulk. Each decision goes through moderation.actions, which sends
or drops the message, audits it and teaches ml."""

from django.contrib import admin
from django.db.models import Case, Value, When
from django.utils.html import format_html_join

from chats.models import HeldMessage
from chatsite.admin_views import ReadOnlyAdmin
from ml import scoring
from moderation import actions as moderation
from moderation.admin_support import each_row, reason_action


def _review(decision):
    return lambda moderator, held, reason: moderation.do_review_held(moderator, held.pk, decision, reason)


@admin.register(HeldMessage)
class HeldMessageAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "state", "code", "spam", "abuse", "sender", "conversation", "short_text", "why")
    list_filter = ("state", "code")
    list_select_related = ("sender", "conversation")
    search_fields = ("text", "sender__username", "=conversation__id")
    ordering = ("-created_at",)
    readonly_fields = [f.name for f in HeldMessage._meta.fields]
    actions = [
        reason_action(
            "approve_held",
            description="Approve the selected held messages (they are sent)",
            permission="review",
            apply=each_row(_review("approve"), done="Approved"),
        ),
        reason_action(
            "reject_held",
            description="Reject the selected held messages (they are dropped)",
            permission="review",
            apply=each_row(_review("reject"), done="Rejected"),
        ),
    ]

    def get_queryset(self, request):
        # Pending first: that is the queue; decided ones stay listed for the record.
        pending_first = Case(When(state=HeldMessage.State.PENDING, then=Value(0)), default=Value(1))
        return super().get_queryset(request).order_by(pending_first, "-created_at")

    def has_review_permission(self, request):
        return request.user.has_perm(moderation.RESOLVE_REPORT)

    @admin.display(description="spam")
    def spam(self, held):
        return held.scores.get("spam")

    @admin.display(description="abuse")
    def abuse(self, held):
        return held.scores.get("abuse")

    @admin.display(description="text")
    def short_text(self, held):
        return held.text[:120]

    @admin.display(description="why held")
    def why(self, held):
        # format_html_join escapes each n-gram: they come from the sender's text.
        kind = held.code.removesuffix("_suspected")
        return format_html_join(", ", "<code>{}</code> {}", scoring.explain(held.text, kind, top=5))
