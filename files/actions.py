"""Every write of the files app: uploads (direct, or presigned then confirmed), and the purges.

Bytes go to the object store outside the database transaction (a store is not transactional);
a row is written only once its bytes are there, and bytes whose row could not be written are
removed again, so the quota counts what is stored.
"""

import hashlib
import io
import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts import actions as account_actions
from chatsite.api_errors import ApiError
from files import avatars, images, names, selectors
from files.backends import get_storage
from files.models import PurgeRun, Upload
from files.sniff import HEAD_BYTES, RASTER_IMAGES, sniff

log = logging.getLogger(__name__)

PURGE_BATCH = 200


def too_big(limit=None, what="A file"):
    limit = settings.UPLOAD_MAX_BYTES if limit is None else limit
    return ApiError("too_large", f"{what} is at most {limit:,} bytes.", 413)


def check_size(user, size: int) -> None:
    """Refuse a file over the size limit, or one that would take the user over their quota."""
    if not isinstance(size, int) or size < 0:
        raise ApiError("invalid", "size is a number of bytes.", 400, fields={"size": ["invalid"]})
    if size == 0:
        raise ApiError("empty_file", "This file is empty.", 400)
    if size > settings.UPLOAD_MAX_BYTES:
        raise too_big()
    if selectors.quota_used(user) + size > settings.UPLOAD_QUOTA_BYTES:
        raise ApiError(
            "quota_exceeded",
            f"Your files would take more than your {settings.UPLOAD_QUOTA_BYTES:,} bytes; remove some first.",
            413,
        )


def check_type(head: bytes) -> str:
    content_type = sniff(head)
    if content_type not in settings.UPLOAD_ALLOWED_TYPES:
        raise ApiError("type_not_allowed", f"Files of this type ({content_type}) are not accepted here.", 415)
    return content_type


def do_upload(user, data, name) -> Upload:
    """A file sent through the API (multipart). `data` is a file object of known size."""
    size = _size_of(data)
    check_size(user, size)
    upload = Upload(owner=user, status=Upload.Status.READY)
    _store(upload, data.read(), name)
    return upload


def check_presign(user, name, size):
    check_size(user, size)
    if not isinstance(name, str):
        raise ApiError("invalid", "name is the file's name.", 400, fields={"name": ["invalid"]})


def do_presign(user, name, size):
    """(pending upload, where to PUT its bytes). The announced size counts against the quota until
    the upload is confirmed or purged."""
    with transaction.atomic():
        check_presign(user, name, size)
        upload = Upload.objects.create(
            owner=user, status=Upload.Status.PENDING, name=names.sanitize(name, ""), size=size
        )
    # The type is not known before the bytes are: the client must send this neutral one.
    target = get_storage().presign_put(
        upload.variant_key(), size, "application/octet-stream", settings.PRESIGNED_UPLOAD_SECONDS
    )
    return upload, target


def check_confirm(user, upload_id) -> Upload:
    upload = Upload.objects.select_for_update().filter(pk=upload_id, owner=user).first()
    if upload is None:
        raise ApiError("not_found", "Upload not found.", 404)
    if upload.status != Upload.Status.PENDING:
        raise ApiError("already_confirmed", "This upload is confirmed already.", 409)
    return upload


def do_confirm(user, upload_id) -> Upload:
    """The client says its presigned PUT is done: check the bytes as a direct upload would."""
    storage, refused = get_storage(), None
    with transaction.atomic():
        upload = check_confirm(user, upload_id)
        stored = storage.size(upload.variant_key())
        if stored is None:
            raise ApiError("not_uploaded", "No bytes arrived for this upload yet.", 409)
        if stored != upload.size or stored > settings.UPLOAD_MAX_BYTES:
            refused = ApiError("size_mismatch", "The uploaded bytes are not the size announced; upload again.", 400)
        else:
            try:
                upload.status = Upload.Status.READY
                _store(upload, storage.read(upload.variant_key()), upload.name, original_stored=True)
            except ApiError as e:
                refused = e
        if refused:
            _forget(upload)
    # Raised after the commit: the refused upload's row must go with its bytes.
    if refused:
        raise refused
    return upload


def _store(upload: Upload, data: bytes, name, *, original_stored=False) -> None:
    """Decide what the bytes are, keep what may be kept, and save the row."""
    content_type = check_type(data[:HEAD_BYTES])
    upload.content_type = content_type
    upload.name = names.sanitize(name, content_type)
    outputs = {"original": data}
    if content_type in RASTER_IMAGES:
        image = images.process(data)
        outputs = {"original": image.original, **image.thumbnails}
        upload.kind = Upload.Kind.IMAGE
        upload.width, upload.height, upload.animated = image.width, image.height, image.animated
        upload.placeholder = image.placeholder
        upload.variants = list(image.thumbnails)
    upload.size = sum(len(b) for b in outputs.values())
    storage = get_storage()
    written = []
    try:
        for variant, blob in outputs.items():
            if variant == "original" and original_stored and blob is data:
                continue  # a presigned upload's bytes, kept as they are
            variant_type = content_type if variant == "original" else "image/webp"
            storage.put(upload.variant_key(variant), io.BytesIO(blob), variant_type)
            written.append(upload.variant_key(variant))
        upload.save()
    except BaseException:
        for key in written:
            storage.delete(key)
        raise


def _forget(upload):
    for key in upload.storage_keys():
        get_storage().delete(key)
    upload.delete()


def _size_of(data) -> int:
    size = getattr(data, "size", None)
    if size is None:
        data.seek(0, io.SEEK_END)
        size = data.tell()
        data.seek(0)
    return size


def check_remove_upload(user, upload_id) -> Upload:
    upload = Upload.objects.select_for_update().filter(pk=upload_id, owner=user).first()
    if upload is None:
        raise ApiError("not_found", "Upload not found.", 404)
    if upload.message_id is not None:
        raise ApiError("attached", "This file is in a message; delete the message instead.", 409)
    return upload


def do_remove_upload(user, upload_id) -> None:
    """The owner takes back an upload they did not send (a cancelled attachment)."""
    with transaction.atomic():
        _forget(check_remove_upload(user, upload_id))


# --- profile pictures ---


def check_avatar(data) -> bytes:
    """The bytes of a picture that may become an avatar: not empty, at most AVATAR_MAX_BYTES, and
    a raster image by its bytes (an SVG can carry scripts; anything else is not a picture)."""
    size = _size_of(data)
    if size == 0:
        raise ApiError("empty_file", "This file is empty.", 400)
    if size > settings.AVATAR_MAX_BYTES:
        raise too_big(settings.AVATAR_MAX_BYTES, "A picture")
    blob = data.read()
    content_type = sniff(blob[:HEAD_BYTES])
    if content_type not in RASTER_IMAGES:
        raise ApiError("not_an_image", f"A picture is a PNG, JPEG, WebP or GIF image, not {content_type}.", 400)
    return blob


def do_set_avatar(user, data) -> None:
    """Make an uploaded picture the user's avatar: a centred square at each of avatars.SIZES.
    The bytes are stored before the profile points at them; the replaced picture's go after
    commit (files.avatars.forget_dropped)."""
    sizes = images.squares(check_avatar(data), avatars.SIZES)
    version = hashlib.sha256(sizes[avatars.DEFAULT_SIZE]).hexdigest()[:16]
    already = user.avatar_version == version  # the same picture again: its keys are in use
    storage = get_storage()
    for size, blob in sizes.items():
        storage.put(avatars.key(user.pk, version, size), io.BytesIO(blob), avatars.CONTENT_TYPE)
    try:
        account_actions.do_set_avatar(user, version)
    except BaseException:
        if not already:
            avatars.delete(user.pk, version)
        raise


# --- retention (beat jobs in files.tasks) ---


def do_purge_unattached(older_than) -> PurgeRun:
    """Uploads never sent in a message, and presigned ones never confirmed, created before `older_than`."""
    stale = Q(message_id__isnull=True, created_at__lt=older_than)
    return _purge(stale, PurgeRun.Reason.UNATTACHED, older_than)


def do_purge_released(older_than) -> PurgeRun:
    """The files of messages deleted before `older_than` (the tombstone retention)."""
    return _purge(Q(released_at__lt=older_than), PurgeRun.Reason.DELETED, older_than)


def _purge(which, reason, older_than) -> PurgeRun:
    run = PurgeRun(reason=reason, older_than=older_than)
    storage = get_storage()
    while True:
        # Rows go in bounded batches; a row is deleted only after its bytes, so a crash in between
        # leaves a row whose purge the next run repeats (deleting a missing key is no error).
        batch = list(Upload.objects.filter(which).order_by("created_at")[:PURGE_BATCH])
        if not batch:
            break
        for upload in batch:
            for key in upload.storage_keys():
                storage.delete(key)
        Upload.objects.filter(pk__in=[u.pk for u in batch]).delete()
        run.files += len(batch)
        run.bytes += sum(u.size for u in batch)
    run.save()
    log.info("purged %s files (%s bytes): %s before %s", run.files, run.bytes, reason, older_than.isoformat())
    return run


def unattached_cutoff():
    return timezone.now() - timedelta(hours=settings.UPLOAD_UNATTACHED_HOURS)


def released_cutoff():
    return timezone.now() - timedelta(days=settings.TOMBSTONE_RETENTION_DAYS)
