"""Uploads: what a file is comes from its bytes; images lose their metadata and gain thumbnails;
sizes, quotas and bombs are refused with a clear error."""

import io

import pytest
from django.test import Client
from PIL import Image

from files.models import Upload
from testkit import files as samples
from testkit.api import assert_error

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("file_storage")]


def stored(upload_id, variant="original"):
    from files.backends import get_storage

    return get_storage().read(Upload.objects.get(pk=upload_id).variant_key(variant))


def test_a_photo_loses_its_exif_and_gps_and_gets_thumbnails_and_a_placeholder(client_for, alice):
    body = samples.uploaded(client_for(alice), samples.jpeg_with_gps((1600, 1200)), "holiday.jpg", "image/jpeg")

    assert body["kind"] == "image" and body["content_type"] == "image/jpeg"
    assert (body["width"], body["height"]) == (1600, 1200)
    assert body["placeholder"].startswith("data:image/jpeg;base64,")
    assert sorted(body["variants"]) == ["large", "small"]
    with Image.open(io.BytesIO(stored(body["id"]))) as original:
        exif = original.getexif()
        assert not exif.get_ifd(samples.GPS_IFD) and 0x010F not in exif
        assert "exif" not in original.info
    with Image.open(io.BytesIO(stored(body["id"], "small"))) as small:
        assert max(small.size) == 320
    with Image.open(io.BytesIO(stored(body["id"], "large"))) as large:
        assert max(large.size) == 1280


def test_an_animated_gif_keeps_every_frame(client_for, alice):
    gif = samples.animated_gif(frames=4)
    body = samples.uploaded(client_for(alice), gif, "dance.gif", "image/gif")
    assert body["animated"] is True
    with Image.open(io.BytesIO(stored(body["id"]))) as original:
        assert original.n_frames == 4


@pytest.mark.parametrize(
    ("data", "claimed_name", "claimed_type", "found_type", "shown_name"),
    [
        (samples.pdf(), "cat.jpg", "image/jpeg", "application/pdf", "cat.jpg.pdf"),
        (samples.png(), "report.pdf", "application/pdf", "image/png", "report.pdf.png"),
        (b"just some words\n", "movie.mp4", "video/mp4", "text/plain", "movie.mp4.txt"),
    ],
)
def test_the_type_comes_from_the_bytes_whatever_the_name_and_header_say(
    client_for, alice, data, claimed_name, claimed_type, found_type, shown_name
):
    body = samples.uploaded(client_for(alice), data, claimed_name, claimed_type)
    assert body["content_type"] == found_type
    assert body["name"] == shown_name


@pytest.mark.parametrize(
    "data",
    [
        b"<!DOCTYPE html><html><script>alert(1)</script></html>",
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        b"  <svg onload=alert(1)>",
        b"\x7fELF\x02\x01\x01" + b"\x00" * 64,
    ],
)
def test_markup_and_programs_named_as_images_are_refused(client_for, alice, data):
    response = samples.upload_file(client_for(alice), data, "innocent.png", "image/png")
    assert_error(response, 415, "type_not_allowed")
    assert not Upload.objects.exists()


def test_hostile_names_are_made_harmless(client_for, alice):
    body = samples.uploaded(client_for(alice), b"text", '../../etc/<img src=x onerror=alert(1)>"; x.txt')
    assert "/" not in body["name"] and "<" not in body["name"] and '"' not in body["name"]
    assert body["name"].endswith(".txt")
    nameless = samples.uploaded(client_for(alice), b"text", "...")
    assert nameless["name"] == "file.txt"


def test_a_file_over_the_size_limit_is_refused(client_for, alice, settings):
    settings.UPLOAD_MAX_BYTES = 1000
    response = samples.upload_file(client_for(alice), b"x" * 1001, "big.txt")
    assert_error(response, 413, "too_large")


def test_the_quota_counts_everything_a_user_stored(client_for, alice, bob, settings):
    settings.UPLOAD_QUOTA_BYTES = 2500
    samples.uploaded(client_for(alice), b"a" * 1000, "one.txt")
    samples.uploaded(client_for(alice), b"b" * 1000, "two.txt")
    assert_error(samples.upload_file(client_for(alice), b"c" * 1000, "three.txt"), 413, "quota_exceeded")
    samples.uploaded(client_for(bob), b"c" * 1000, "bobs.txt")  # a quota is per user


def test_a_decompression_bomb_is_refused_before_it_is_decoded(client_for, alice):
    bomb = samples.png_bomb()
    assert len(bomb) < 100_000
    response = samples.upload_file(client_for(alice), bomb, "bomb.png", "image/png")
    error = assert_error(response, 413, "image_too_large")
    assert "too many pixels" in error["message"]


def test_an_image_over_the_pixel_limit_is_refused(client_for, alice, settings):
    settings.IMAGE_MAX_PIXELS = 100 * 100
    assert_error(samples.upload_file(client_for(alice), samples.png((101, 100)), "wide.png"), 413, "image_too_large")


def test_a_truncated_image_is_refused_clearly(client_for, alice):
    data = samples.jpeg_with_gps()[:400]
    response = samples.upload_file(client_for(alice), data, "cut.jpg")
    assert_error(response, 400, "unreadable_image")


def test_an_empty_file_and_a_missing_file_part_are_clear_errors(client_for, alice):
    assert_error(samples.upload_file(client_for(alice), b"", "empty.txt"), 400, "empty_file")
    assert_error(client_for(alice).post("/api/v1/uploads", {}, format="multipart"), 400)


def test_uploading_needs_a_signed_in_user(client_for):
    assert samples.upload_file(client_for(None), b"x", "x.txt").status_code in (401, 403)


def test_an_upload_not_yet_sent_can_be_taken_back_by_its_owner_only(client_for, alice, bob):
    body = samples.uploaded(client_for(alice), b"oops", "oops.txt")
    assert_error(client_for(bob).delete(f"/api/v1/uploads/{body['id']}"), 404, "not_found")
    assert client_for(alice).delete(f"/api/v1/uploads/{body['id']}").status_code == 204
    assert not Upload.objects.exists()


# --- presigned uploads: the client sends the bytes to the store, then confirms ---


def put_bytes(target, data):
    if target["url"].startswith("/"):
        response = Client().put(target["url"], data, content_type=target["headers"]["Content-Type"])
        assert response.status_code == 200, response.content
        return
    import urllib.request

    request = urllib.request.Request(target["url"], data=data, method="PUT", headers=target["headers"])  # noqa: S310
    with urllib.request.urlopen(request, timeout=30):  # noqa: S310 - the local S3 server
        pass


def test_a_presigned_upload_is_checked_at_confirm_like_a_direct_one(client_for, alice):
    api = client_for(alice)
    photo = samples.jpeg_with_gps()
    started = api.post("/api/v1/uploads/presign", {"name": "big.jpg", "size": len(photo)}, format="json")
    assert started.status_code == 201, started.content
    body = started.json()
    assert body["upload"]["status"] == "pending"
    put_bytes(body["put"], photo)

    confirmed = api.post(f"/api/v1/uploads/{body['upload']['id']}/confirm")
    assert confirmed.status_code == 200, confirmed.content
    assert confirmed.json()["status"] == "ready" and confirmed.json()["kind"] == "image"
    with Image.open(io.BytesIO(stored(body["upload"]["id"]))) as original:
        assert not original.getexif().get_ifd(samples.GPS_IFD)
    assert_error(api.post(f"/api/v1/uploads/{body['upload']['id']}/confirm"), 409, "already_confirmed")


def test_a_presigned_upload_of_another_size_or_type_is_refused_and_removed(client_for, alice):
    api = client_for(alice)
    body = api.post("/api/v1/uploads/presign", {"name": "x.txt", "size": 10}, format="json").json()
    assert_error(api.post(f"/api/v1/uploads/{body['upload']['id']}/confirm"), 409, "not_uploaded")

    html = b"<html><script>alert(1)</script>"
    body = api.post("/api/v1/uploads/presign", {"name": "x.png", "size": len(html)}, format="json").json()
    put_bytes(body["put"], html)
    assert_error(api.post(f"/api/v1/uploads/{body['upload']['id']}/confirm"), 415, "type_not_allowed")
    assert not Upload.objects.filter(pk=body["upload"]["id"]).exists()


def test_a_presign_over_the_limit_or_quota_is_refused_up_front(client_for, alice, settings):
    settings.UPLOAD_MAX_BYTES, settings.UPLOAD_QUOTA_BYTES = 1000, 1500
    api = client_for(alice)
    assert_error(api.post("/api/v1/uploads/presign", {"name": "x", "size": 1001}, format="json"), 413, "too_large")
    assert api.post("/api/v1/uploads/presign", {"name": "x", "size": 1000}, format="json").status_code == 201
    # The announced size counts until it is confirmed or purged.
    assert_error(api.post("/api/v1/uploads/presign", {"name": "y", "size": 600}, format="json"), 413, "quota_exceeded")


def test_a_presigned_upload_is_confirmed_by_its_owner_only(client_for, alice, bob):
    body = client_for(alice).post("/api/v1/uploads/presign", {"name": "x.txt", "size": 3}, format="json").json()
    assert_error(client_for(bob).post(f"/api/v1/uploads/{body['upload']['id']}/confirm"), 404, "not_found")


@pytest.mark.parametrize("file_storage", ["filesystem"], indirect=True)
def test_the_disk_stores_upload_link_takes_exactly_the_announced_bytes(client_for, alice, file_storage):
    body = client_for(alice).post("/api/v1/uploads/presign", {"name": "x.txt", "size": 3}, format="json").json()
    url = body["put"]["url"]
    assert_error(Client().put(url, b"toolong", content_type="application/octet-stream"), 400, "size_mismatch")
    assert_error(Client().put(url[:-3] + "abc", b"abc", content_type="application/octet-stream"), 403, "link_expired")
