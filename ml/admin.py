"""The registry in the admin: versions with their held-out metrics, rollback as an audited action,
the registry's events, and the labels moderators' decisions made."""

import json

from django.contrib import admin, messages
from django.utils.html import format_html

from chatsite.api_errors import ApiError
from ml import actions, registry, scoring
from ml.models import Label, ModelVersion, RegistryEvent, SentText


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = ("name", "version", "status", "f1", "precision", "recall", "roc_auc", "n", "trained_at")
    list_filter = ("name", "status")
    ordering = ("name", "-version")
    actions = ["make_active"]
    readonly_fields = [f.name for f in ModelVersion._meta.fields] + ["metadata"]

    def _metric(self, obj, key):
        return obj.metrics.get(key)

    @admin.display(description="F1")
    def f1(self, obj):
        return self._metric(obj, "f1")

    @admin.display(description="precision")
    def precision(self, obj):
        return self._metric(obj, "precision")

    @admin.display(description="recall")
    def recall(self, obj):
        return self._metric(obj, "recall")

    @admin.display(description="ROC AUC")
    def roc_auc(self, obj):
        return self._metric(obj, "roc_auc")

    @admin.display(description="held out")
    def n(self, obj):
        return self._metric(obj, "n")

    @admin.display(description="metadata.json")
    def metadata(self, obj):
        return format_html("<pre>{}</pre>", json.dumps(registry.read_metadata(obj), indent=2, sort_keys=True))

    def has_add_permission(self, request):
        return False  # versions come from training runs

    def has_delete_permission(self, request, obj=None):
        return False  # the history stays

    @admin.action(description="Make the selected version active (rollback)", permissions=["change"])
    def make_active(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one version.", messages.ERROR)
            return
        row = queryset.get()
        try:
            actions.do_rollback(row.name, row.version, actor=request.user, reason=f"admin: {request.user}")
        except ApiError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return
        self.message_user(request, f"{row.name} v{row.version} is active.", messages.SUCCESS)


@admin.register(RegistryEvent)
class RegistryEventAdmin(admin.ModelAdmin):
    list_display = ("created_at", "name", "action", "version", "previous_version", "actor", "reason")
    list_filter = ("name", "action")

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Label)
class LabelAdmin(admin.ModelAdmin):
    list_display = ("created_at", "kind", "label", "source", "short_text", "moderator")
    list_filter = ("kind", "label", "source")
    search_fields = ("text",)
    raw_id_fields = ("moderator",)

    @admin.display(description="text")
    def short_text(self, obj):
        return obj.text[:80]


@admin.register(SentText)
class SentTextAdmin(admin.ModelAdmin):
    """Recent messages with what the models said, highest spam score first, and why."""

    list_display = ("created_at", "spam", "abuse", "short_text", "sender_id", "conversation_id")
    search_fields = ("text",)
    ordering = ("-created_at",)
    readonly_fields = ("message_id", "conversation_id", "sender_id", "text", "scores", "created_at", "why")

    @admin.display(description="spam")
    def spam(self, obj):
        return obj.scores.get("spam")

    @admin.display(description="abuse")
    def abuse(self, obj):
        return obj.scores.get("abuse")

    @admin.display(description="text")
    def short_text(self, obj):
        return obj.text[:80]

    @admin.display(description="why (the n-grams that weighed most)")
    def why(self, obj):
        parts = {kind: scoring.explain(obj.text, kind) for kind in ("spam", "abuse")}
        return format_html("<pre>{}</pre>", json.dumps(parts, indent=2, ensure_ascii=False))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
