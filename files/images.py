"""What is stored of an image: the original without its metadata (EXIF, GPS included), two
thumbnails, its size and a tiny blurred placeholder. Pillow decodes it, after refusing images whose
pixel count would take more memory than a worker should give (a decompression bomb)."""

import base64
import io
from dataclasses import dataclass, field

from django.conf import settings
from PIL import Image, ImageFilter, ImageOps

from chatsite.api_errors import ApiError

THUMBNAILS = {"small": 320, "large": 1280}
PLACEHOLDER_SIZE = 16
SAVE_OPTIONS = {
    "JPEG": {"quality": 90, "optimize": True},
    "PNG": {"optimize": True},
    "WEBP": {"quality": 90},
}


@dataclass
class ProcessedImage:
    original: bytes
    width: int
    height: int
    animated: bool
    placeholder: str
    thumbnails: dict[str, bytes] = field(default_factory=dict)


def too_large():
    return ApiError(
        "image_too_large",
        f"This image has too many pixels (at most {settings.IMAGE_MAX_PIXELS:,}); it was refused.",
        413,
    )


def _decoded(data: bytes, work):
    """`work(image)` on the opened image, once its header says it is not a decompression bomb;
    the errors of a bomb or of bytes that are not a readable image as the API's."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            # The header alone gives the size: refuse before decoding a single pixel.
            if image.width * image.height > settings.IMAGE_MAX_PIXELS:
                raise too_large()
            return work(image)
    except Image.DecompressionBombError:
        raise too_large() from None
    except (OSError, ValueError, SyntaxError, Image.UnidentifiedImageError):
        # Truncated or corrupt: the sniffer saw an image header, the decoder found no image.
        raise ApiError("unreadable_image", "This image could not be read.", 400) from None


def process(data: bytes) -> ProcessedImage:
    def original_and_still(image):
        animated = getattr(image, "n_frames", 1) > 1
        still = ImageOps.exif_transpose(image.copy()) if not animated else image.copy()
        return animated, _strip(image, data, animated), still

    animated, original, still = _decoded(data, original_and_still)
    still = still.convert("RGBA" if _has_alpha(still) else "RGB")
    return ProcessedImage(
        original=original,
        width=still.width,
        height=still.height,
        animated=animated,
        placeholder=_placeholder(still),
        thumbnails={name: _thumbnail(still, edge) for name, edge in THUMBNAILS.items()},
    )


def squares(data: bytes, edges) -> dict[int, bytes]:
    """A profile picture: the centred square of the image (its first frame, if animated), upright
    as its EXIF says, scaled to each edge and encoded as WebP. Only pixels are written, so no
    metadata (EXIF, GPS, ICC, comments) survives."""

    def first_frame(image):
        image.seek(0)
        return ImageOps.exif_transpose(image.copy())

    still = _decoded(data, first_frame)
    still = still.convert("RGBA" if _has_alpha(still) else "RGB")
    out = {}
    for edge in edges:
        buffer = io.BytesIO()
        ImageOps.fit(still, (edge, edge), Image.Resampling.LANCZOS).save(buffer, format="WEBP", quality=85)
        out[edge] = buffer.getvalue()
    return out


def _strip(image, data, animated) -> bytes:
    """The original, re-encoded without metadata. An animated GIF keeps its own bytes: GIF carries no
    EXIF, and re-encoding it would lose frames' timing and palettes."""
    if animated and image.format == "GIF":
        return data
    out = io.BytesIO()
    if animated:
        # exif=b"" and no info: Pillow writes only what it is given.
        image.save(out, format=image.format, save_all=True, exif=b"", **SAVE_OPTIONS.get(image.format, {}))
        return out.getvalue()
    upright = ImageOps.exif_transpose(image)
    if image.format == "JPEG" and upright.mode not in ("RGB", "L", "CMYK"):
        upright = upright.convert("RGB")
    # Only pixels (and a palette's transparency) go on: no EXIF, XMP, ICC, comments or text chunks.
    clean = upright.copy()
    clean.info = {k: v for k, v in upright.info.items() if k == "transparency"}
    clean.save(out, format=image.format, **SAVE_OPTIONS.get(image.format, {}))
    return out.getvalue()


def _has_alpha(image):
    return image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)


def _thumbnail(image, edge) -> bytes:
    thumb = image.copy()
    thumb.thumbnail((edge, edge), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    thumb.save(out, format="WEBP", quality=80)
    return out.getvalue()


def _placeholder(image) -> str:
    tiny = image.convert("RGB")
    tiny.thumbnail((PLACEHOLDER_SIZE, PLACEHOLDER_SIZE))
    tiny = tiny.filter(ImageFilter.GaussianBlur(1))
    out = io.BytesIO()
    tiny.save(out, format="JPEG", quality=50)
    return "data:image/jpeg;base64," + base64.b64encode(out.getvalue()).decode()
