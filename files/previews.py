"""Link previews: fetch a page through chatsite.outbound (the project's one SSRF rule), read its
OpenGraph data, store its image as a thumbnail of our own (so readers' addresses never reach the
page's site), and keep the result by URL for LINK_PREVIEW_TTL_SECONDS."""

import codecs
import hashlib
import io
import logging
from datetime import timedelta

import httpx
from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from chatsite import outbound
from chatsite.api_errors import ApiError
from files import images, opengraph
from files.backends import get_storage
from files.models import LinkPreview
from files.sniff import RASTER_IMAGES, sniff

log = logging.getLogger(__name__)

PAGE_TYPES = ("text/html", "application/xhtml+xml")
IMAGE_TYPES = ("image/",)
USER_AGENT = "chatsite-link-preview/1 (+https://github.com/chatsite)"
# What can go wrong with somebody else's page: it is simply left without a preview.
FETCH_ERRORS = (outbound.UnsafeURL, httpx.HTTPError, UnicodeError)


def url_hash(url: str) -> str:
    return hashlib.sha256(url.encode()).hexdigest()


def preview_for(url: str) -> LinkPreview:
    """The stored preview of `url`, fetched again when older than the TTL."""
    fresh_after = timezone.now() - timedelta(seconds=settings.LINK_PREVIEW_TTL_SECONDS)
    cached = LinkPreview.objects.filter(url_hash=url_hash(url), fetched_at__gte=fresh_after).first()
    return cached or _refresh(url)


def _refresh(url) -> LinkPreview:
    found = fetch(url)
    defaults = {"url": url, "fetched_at": timezone.now(), **found}
    try:
        with transaction.atomic():
            preview, _ = LinkPreview.objects.update_or_create(url_hash=url_hash(url), defaults=defaults)
    except IntegrityError:  # another worker stored the same URL at the same moment
        preview = LinkPreview.objects.get(url_hash=url_hash(url))
    return preview


def _get(url, accept):
    return outbound.get(
        url,
        accept=accept,
        timeout=settings.LINK_PREVIEW_TIMEOUT_SECONDS,
        max_bytes=settings.LINK_PREVIEW_MAX_BYTES,
        whole=accept is IMAGE_TYPES,  # half an image is no image; half a page still has its head
        headers={"User-Agent": USER_AGENT},
    )


def fetch(url) -> dict:
    """The model fields of a preview of `url`; found=False when the page gave nothing to show."""
    try:
        page = _get(url, PAGE_TYPES)
    except FETCH_ERRORS as e:
        log.info("no preview of %s: %s", url, e)
        return {"found": False}
    if page.status != 200:
        return {"found": False}
    meta = opengraph.read(page.body.decode(_charset(page.content_type), errors="replace"), page.url)
    image_url = meta.pop("image")
    image = _store_image(url, image_url) if image_url else {}
    return {"found": bool(meta["title"] or meta["description"]), **meta, **image}


def _charset(content_type):
    for part in content_type.split(";")[1:]:
        name, _, value = part.strip().partition("=")
        if name.strip().lower() == "charset":
            try:
                return codecs.lookup(value.strip().strip("\"'")).name
            except LookupError:
                break
    return "utf-8"


def _store_image(page_url, image_url) -> dict:
    """The page's image as our own small thumbnail, or nothing when it can't be had safely."""
    try:
        answer = _get(image_url, IMAGE_TYPES)
    except FETCH_ERRORS as e:
        log.info("no preview image for %s: %s", page_url, e)
        return {}
    # The bytes decide, as for an upload: a "PNG" that is an SVG or HTML is no image.
    if answer.status != 200 or sniff(answer.body[:8192]) not in RASTER_IMAGES:
        return {}
    try:
        processed = images.process(answer.body)
    except ApiError:
        return {}
    key = f"previews/{url_hash(page_url)}/small"
    get_storage().put(key, io.BytesIO(processed.thumbnails["small"]), "image/webp")
    return {"image_key": key, "image_width": processed.width, "image_height": processed.height}


def card(preview: LinkPreview) -> dict:
    """What a message carries about one preview (chats stores it as given)."""
    return {
        "url": preview.url,
        "title": preview.title,
        "description": preview.description,
        "site_name": preview.site_name,
        "image": reverse("files:preview-image", args=[preview.id]) if preview.image_key else None,
        "image_width": preview.image_width,
        "image_height": preview.image_height,
    }
