"""What a file is, from its bytes alone: the client's Content-Type and file name are never asked.

Images are recognised by Pillow (the same library that will decode them), other binary formats by
their magic numbers (puremagic, pure Python), and text by decoding it; text that a browser would
run as markup (HTML, SVG, XML) is named as such so that it is never served inline.
"""

import io
import re

import puremagic
from PIL import Image, UnidentifiedImageError

HEAD_BYTES = 8192

IMAGE_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif", "WEBP": "image/webp"}
# The raster images that get thumbnails, and the only types ever served inline.
RASTER_IMAGES = frozenset(IMAGE_TYPES.values())
# Markup a browser may execute, looked for near the start of a text file, case-insensitively.
MARKUP = [
    (re.compile(rb"<svg[\s>]", re.I), "image/svg+xml"),
    (re.compile(rb"<!doctype\s+html|<html[\s>]|<script[\s>]|<body[\s>]|<iframe[\s>]", re.I), "text/html"),
    (re.compile(rb"<\?xml\s", re.I), "application/xml"),
]
EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "image/svg+xml": ".svg",
    "text/html": ".html",
    "application/xml": ".xml",
    "text/plain": ".txt",
    "application/pdf": ".pdf",
    "application/zip": ".zip",
}


def sniff(head: bytes) -> str:
    """The MIME type of a file whose first bytes (at least HEAD_BYTES, if it has them) are `head`;
    application/octet-stream when nothing is recognised."""
    # Magic numbers before text: a PDF or a PostScript file is ASCII too.
    return _image_type(head) or _magic_type(head) or _text_type(head) or "application/octet-stream"


def _magic_type(head):
    try:
        return puremagic.from_string(head, mime=True) or None
    except (puremagic.PureError, ValueError):
        return None


def _image_type(head):
    try:
        with Image.open(io.BytesIO(head)) as image:
            return IMAGE_TYPES.get(image.format)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None


def _text_type(head):
    if b"\x00" in head:
        return None
    try:
        # A multi-byte character may be cut at the end of the head.
        head.decode("utf-8")
    except UnicodeDecodeError as e:
        if e.start < len(head) - 4:
            return None
    start = head[:2048].lstrip(b"\xef\xbb\xbf \t\r\n")
    for pattern, content_type in MARKUP:
        if pattern.search(start):
            return content_type
    return "text/plain"


def extension_for(content_type: str) -> str:
    # Only this table: guessing extensions from a MIME database would differ between machines.
    return EXTENSIONS.get(content_type, "")
