"""Reads of the personal data export: only its owner ever sees one (404 for anyone else)."""

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from chatsite.api_errors import ApiError
from portability.models import DataExport

SALT = "portability.export.download"


def not_found():
    return ApiError("not_found", "Export not found.", 404)


def export_of(user, export_id) -> DataExport:
    export = DataExport.objects.filter(pk=export_id, user=user).first()
    if export is None:
        raise not_found()
    return export


def exports_of(user, limit=10) -> list[DataExport]:
    return list(DataExport.objects.filter(user=user)[:limit])


def download_url(export: DataExport) -> str | None:
    """A link that works until the export expires, and only for its owner (the view checks both)."""
    if export.status != DataExport.Status.READY:
        return None
    token = signing.dumps({"e": str(export.id), "u": export.user_id}, salt=SALT)
    return reverse("portability:download", args=[export.id]) + f"?token={token}"


def downloadable(user, export_id, token) -> DataExport:
    """The export a download link names, if the link is this user's and the export not expired."""
    export = export_of(user, export_id)
    try:
        found = signing.loads(token or "", salt=SALT, max_age=settings.DATA_EXPORT_HOURS * 3600)
    except signing.BadSignature:
        raise not_found() from None
    if found != {"e": str(export.id), "u": user.pk}:
        raise not_found()
    if export.status == DataExport.Status.EXPIRED or (export.expires_at and export.expires_at <= timezone.now()):
        raise ApiError("expired", "This export has expired; ask for a new one.", 410)
    if export.status != DataExport.Status.READY:
        raise ApiError("not_ready", "This export is not ready yet.", 409)
    return export
