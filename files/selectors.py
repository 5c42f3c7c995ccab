"""Reads of the files app: who may fetch a file, and the link they get."""

from django.conf import settings
from django.db.models import Sum
from django.urls import reverse

from accounts.selectors import blocked_ids, visible_profile
from chats.selectors import is_member
from chatsite.api_errors import ApiError
from files import avatars, signing
from files.models import LinkPreview, Upload
from files.sniff import RASTER_IMAGES


def not_found():
    return ApiError("not_found", "File not found.", 404)


def upload_for(user, upload_id) -> Upload:
    """An upload the user may read, or 404 (the same answer whether it exists or not): their own
    unsent upload, or a file of a live message in a conversation they are a member of, from a
    sender they have not blocked."""
    upload = Upload.objects.filter(pk=upload_id, status=Upload.Status.READY).first()
    if upload is None:
        raise not_found()
    if upload.message_id is None:
        if upload.owner_id != user.pk:
            raise not_found()
        return upload
    if upload.released_at is not None:
        raise not_found()
    if not is_member(user.pk, upload.conversation_id) or upload.sender_id in blocked_ids(user.pk):
        raise not_found()
    return upload


def own_upload(user, upload_id) -> Upload:
    upload = Upload.objects.filter(pk=upload_id, owner=user).first()
    if upload is None:
        raise not_found()
    return upload


def download_link(upload: Upload, variant: str = "original") -> str:
    """A short-lived signed URL of the file (DOWNLOAD_URL_SECONDS), on MEDIA_ORIGIN when set."""
    if variant != "original" and variant not in upload.variants:
        raise ApiError("invalid", "variant is original, or small or large for an image.", 400)
    content_type = "image/webp" if variant != "original" else upload.content_type
    # Shown in the page: raster images only. SVG and HTML can carry scripts; all else is a download.
    inline = content_type in RASTER_IMAGES
    token = signing.sign_download(upload.variant_key(variant), upload.name, content_type, inline)
    return settings.MEDIA_ORIGIN.rstrip("/") + reverse("files:media", args=[token])


def preview_image_link(preview_id) -> str:
    preview = LinkPreview.objects.filter(pk=preview_id).exclude(image_key="").first()
    if preview is None:
        raise not_found()
    token = signing.sign_download(preview.image_key, "preview.webp", "image/webp", True)
    return settings.MEDIA_ORIGIN.rstrip("/") + reverse("files:media", args=[token])


def quota_used(user) -> int:
    return Upload.objects.filter(owner=user).aggregate(total=Sum("size"))["total"] or 0


def owned_uploads(user):
    """Every stored file the user uploaded, oldest first (their own data export)."""
    return Upload.objects.filter(owner=user, status=Upload.Status.READY).order_by("created_at", "id")


def avatar_key(viewer, user_id, size: int) -> tuple[str, str]:
    """(storage key, version) of the picture of a user the viewer may see, by the rule of their
    profile (accounts.selectors.visible_profile: active, and not blocking the viewer). 404
    otherwise, and for a user without a picture: a banned account's picture is not served."""
    user = visible_profile(viewer.pk, user_id)
    if not user.avatar_version:
        raise ApiError("not_found", "This user has no picture.", 404)
    return avatars.key(user.pk, user.avatar_version, size), user.avatar_version
