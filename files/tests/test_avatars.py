"""Profile pictures: set, replace and remove one's own; served, versioned and cached, to those who
may see the person; every bad file refused with a clear error. On each object store."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from accounts.models import User
from files import avatars
from testkit import files as samples
from testkit.api import assert_error
from testkit.fixtures import FILE_STORES

pytestmark = [pytest.mark.django_db, pytest.mark.parametrize("file_storage", FILE_STORES, indirect=True)]

SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="9" height="9"/></svg>'


def put_avatar(client, data, name="me.png", content_type="image/png"):
    return client.put("/api/v1/me/avatar", {"file": SimpleUploadedFile(name, data, content_type)}, format="multipart")


def set_avatar(client, data, **kwargs) -> dict:
    response = put_avatar(client, data, **kwargs)
    assert response.status_code == 200, response.content
    return response.json()


def fetch(client, url, size=None):
    return client.get(url + (f"&size={size}" if size else ""))


def picture(response) -> Image.Image:
    return Image.open(io.BytesIO(b"".join(response.streaming_content)))


def test_an_uploaded_photo_becomes_a_square_webp_at_each_size_without_its_exif(
    file_storage, client_for, alice, bob, group
):
    me = set_avatar(client_for(alice), samples.jpeg_with_gps((640, 480)), name="me.jpg", content_type="image/jpeg")

    url = me["avatar_url"]
    assert url.startswith(f"/api/v1/users/{alice.pk}/avatar?v=")
    for size in avatars.SIZES:
        response = fetch(client_for(bob), url, size)
        assert response.status_code == 200
        assert response["Content-Type"] == "image/webp"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "immutable" in response["Cache-Control"] and "private" in response["Cache-Control"]
        with picture(response) as image:
            assert image.format == "WEBP" and image.size == (size, size)
            assert "exif" not in image.info and not image.getexif()
    # Everyone who sees Alice's profile sees the same URL.
    assert client_for(bob).get(f"/api/v1/users/{alice.pk}").json()["avatar_url"] == url


def test_the_served_type_is_the_servers_own_whatever_the_upload_claimed(file_storage, client_for, alice):
    me = set_avatar(client_for(alice), samples.png((300, 200)), name="me.html", content_type="text/html")
    response = fetch(client_for(alice), me["avatar_url"], 64)
    assert response["Content-Type"] == "image/webp"
    assert response["Content-Security-Policy"].startswith("default-src 'none'")


def test_the_first_frame_of_an_animated_gif_is_kept(file_storage, client_for, alice):
    me = set_avatar(client_for(alice), samples.animated_gif(frames=3), name="dance.gif", content_type="image/gif")
    with picture(fetch(client_for(alice), me["avatar_url"], 64)) as image:
        assert getattr(image, "n_frames", 1) == 1


def test_a_new_picture_changes_the_url_and_the_old_bytes_go(
    file_storage, client_for, alice, django_capture_on_commit_callbacks
):
    client = client_for(alice)
    first = set_avatar(client, samples.png((100, 100)))["avatar_url"]
    old_version = User.objects.get(pk=alice.pk).avatar_version
    with django_capture_on_commit_callbacks(execute=True):
        jpeg = samples.jpeg_with_gps((120, 90))
        second = set_avatar(client, jpeg, name="b.jpg", content_type="image/jpeg")["avatar_url"]

    assert second != first
    assert all(file_storage.size(k) is None for k in avatars.keys(alice.pk, old_version))
    # An old URL still answers with today's picture, but not for keeps.
    stale = fetch(client, first, 64)
    assert stale.status_code == 200 and stale["Cache-Control"] == "private, no-cache"


def test_the_same_picture_twice_keeps_its_url_and_its_bytes(
    file_storage, client_for, alice, django_capture_on_commit_callbacks
):
    client = client_for(alice)
    data = samples.png((80, 80))
    with django_capture_on_commit_callbacks(execute=True):
        assert set_avatar(client, data)["avatar_url"] == set_avatar(client, data)["avatar_url"]
    version = User.objects.get(pk=alice.pk).avatar_version
    assert all(file_storage.size(k) for k in avatars.keys(alice.pk, version))


def test_removing_the_picture_gives_initials_back_and_removes_the_bytes(
    file_storage, client_for, alice, bob, django_capture_on_commit_callbacks
):
    client = client_for(alice)
    url = set_avatar(client, samples.png())["avatar_url"]
    version = User.objects.get(pk=alice.pk).avatar_version

    with django_capture_on_commit_callbacks(execute=True):
        assert client.delete("/api/v1/me/avatar").status_code == 204

    assert client.get("/api/v1/me").json()["avatar_url"] is None
    assert client_for(bob).get(f"/api/v1/users/{alice.pk}").json()["avatar_url"] is None
    assert_error(fetch(client_for(bob), url, 64), 404, "not_found")
    assert all(file_storage.size(k) is None for k in avatars.keys(alice.pk, version))
    assert client.delete("/api/v1/me/avatar").status_code == 204  # nothing left to remove is no error


@pytest.mark.parametrize(
    ("data", "code", "status"),
    [
        (b"", "empty_file", 400),
        (b"just some text, not a picture\n", "not_an_image", 400),
        (SVG, "not_an_image", 400),
        (samples.pdf(), "not_an_image", 400),
        (samples.png_bomb(), "image_too_large", 413),
        (samples.png()[:60], "unreadable_image", 400),
    ],
    ids=["empty", "text", "svg", "pdf", "decompression-bomb", "truncated"],
)
def test_a_bad_file_is_refused_with_a_clear_error_and_the_profile_is_unchanged(
    file_storage, client_for, alice, data, code, status
):
    client = client_for(alice)
    before = set_avatar(client, samples.png())["avatar_url"]
    assert_error(put_avatar(client, data), status, code)
    assert client.get("/api/v1/me").json()["avatar_url"] == before


def test_too_many_bytes_or_pixels_are_refused(file_storage, client_for, alice, settings):
    client = client_for(alice)
    settings.AVATAR_MAX_BYTES = 1000
    assert_error(put_avatar(client, samples.jpeg_with_gps((400, 400))), 413, "too_large")
    settings.AVATAR_MAX_BYTES = 10_000_000
    settings.IMAGE_MAX_PIXELS = 100 * 100
    assert_error(put_avatar(client, samples.png((101, 100))), 413, "image_too_large")
    assert client.get("/api/v1/me").json()["avatar_url"] is None


def test_a_missing_file_field_or_a_bad_size_is_a_400(file_storage, client_for, alice):
    client = client_for(alice)
    assert_error(client.put("/api/v1/me/avatar", {}, format="multipart"), 400)
    url = set_avatar(client, samples.png())["avatar_url"]
    assert_error(fetch(client, url, 1000), 400, "invalid")


def test_the_picture_of_someone_who_blocked_me_or_of_nobody_is_a_404(file_storage, client_for, alice, bob, make_user):
    from accounts.models import Block

    url = set_avatar(client_for(alice), samples.png())["avatar_url"]
    Block.objects.create(blocker=alice, blocked=bob)
    assert_error(fetch(client_for(bob), url), 404, "not_found")
    carol = make_user("carol")
    assert_error(client_for(carol).get(f"/api/v1/users/{make_user('dave').pk}/avatar"), 404, "not_found")
    assert_error(client_for(carol).get("/api/v1/users/999999/avatar"), 404, "not_found")
    assert client_for(None).get(url).status_code in (401, 403)


def test_a_banned_users_picture_is_not_served_nor_offered(file_storage, client_for, alice, bob, group, make_user):
    from moderation import actions as moderation
    from moderation.tests.conftest import grant

    url = set_avatar(client_for(alice), samples.png())["avatar_url"]
    moderator = make_user("mod", is_staff=True)
    grant(moderator, ["moderation.ban_user"])
    moderation.do_ban_user(moderator, alice, "spam")

    assert_error(fetch(client_for(bob), url), 404, "not_found")
    members = client_for(bob).get(f"/api/v1/conversations/{group.id}/members").json()["results"]
    assert next(m for m in members if m["user"]["id"] == alice.pk)["user"]["avatar_url"] is None
