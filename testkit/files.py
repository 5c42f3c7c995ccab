"""Bytes of files for the files tests: real images made with Pillow (with EXIF and GPS), an
animated GIF, a decompression bomb's header, a PDF, and the helpers that upload them."""

import io
import struct
import zlib

from django.core.files.uploadedfile import SimpleUploadedFile

GPS_IFD = 0x8825


def jpeg_with_gps(size=(640, 480), color=(200, 30, 30)) -> bytes:
    from PIL import Image

    image = Image.new("RGB", size, color)
    exif = Image.Exif()
    exif[0x010F] = "SpyCam Inc."  # Make
    exif[0x0112] = 1  # Orientation
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (48.0, 51.0, 29.0), 3: "E", 4: (2.0, 17.0, 40.0)})
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif.tobytes(), quality=90)
    return out.getvalue()


def png(size=(64, 48), mode="RGBA") -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new(mode, size, (10, 120, 200, 128) if mode == "RGBA" else (10, 120, 200)).save(out, format="PNG")
    return out.getvalue()


def animated_gif(frames=3, size=(40, 30)) -> bytes:
    from PIL import Image

    images = [Image.new("RGB", size, (i * 60 % 256, 200 - i * 40 % 200, 90)) for i in range(frames)]
    out = io.BytesIO()
    images[0].save(out, format="GIF", save_all=True, append_images=images[1:], duration=100, loop=0)
    return out.getvalue()


def png_bomb(width=60000, height=60000) -> bytes:
    """A valid PNG header announcing width x height pixels, and a tiny deflate stream of zeros:
    a few hundred bytes on disk, gigabytes once decoded."""

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    row = b"\x00" + b"\x00" * width
    body = zlib.compress(row * 16, 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")


def pdf() -> bytes:
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
        b"trailer<</Root 1 0 R>>\n%%EOF\n"
    )


def upload_file(client, data: bytes, name: str, content_type="application/octet-stream"):
    """POST /api/v1/uploads as a browser would, with whatever type the client claims."""
    return client.post(
        "/api/v1/uploads", {"file": SimpleUploadedFile(name, data, content_type=content_type)}, format="multipart"
    )


def uploaded(client, data: bytes, name: str, content_type="application/octet-stream") -> dict:
    response = upload_file(client, data, name, content_type)
    assert response.status_code == 201, response.content
    return response.json()
