from rest_framework import serializers

from portability import selectors
from portability.models import DataExport


class DataExportSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField(help_text="Set once ready; works for you only, until expires_at.")

    class Meta:
        model = DataExport
        fields = ["id", "status", "progress", "size", "created_at", "finished_at", "expires_at", "download_url"]
        read_only_fields = fields

    def get_download_url(self, export) -> str | None:
        return selectors.download_url(export)
