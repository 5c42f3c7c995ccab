"""The object store contract, on every adapter: the filesystem (embedded default) and a real
S3-compatible server (SeaweedFS, started by scripts/services/svc)."""

import io
import os
import urllib.request

import pytest
from django.test import Client

from testkit.fixtures import FILE_STORES

pytestmark = pytest.mark.parametrize("file_storage", FILE_STORES, indirect=True)


def test_what_is_put_reads_back_with_its_size(file_storage):
    file_storage.put("uploads/a/original", io.BytesIO(b"hello bytes"), "text/plain")
    assert file_storage.read("uploads/a/original") == b"hello bytes"
    assert file_storage.size("uploads/a/original") == 11
    with file_storage.open("uploads/a/original") as f:
        assert f.read() == b"hello bytes"


def test_a_put_replaces_what_was_there(file_storage):
    file_storage.put("uploads/b/original", io.BytesIO(b"first version"), "text/plain")
    file_storage.put("uploads/b/original", io.BytesIO(b"second"), "text/plain")
    assert file_storage.read("uploads/b/original") == b"second"


def test_reading_a_head_reads_only_that_much(file_storage):
    file_storage.put("uploads/c/original", io.BytesIO(b"0123456789"), "application/octet-stream")
    assert file_storage.read("uploads/c/original", 4) == b"0123"


def test_a_range_reads_only_its_bytes(file_storage):
    file_storage.put("uploads/r/original", io.BytesIO(b"0123456789"), "application/octet-stream")
    part = file_storage.open_range("uploads/r/original", 3, 6)
    assert part.read() == b"3456"
    part.close()
    with pytest.raises(FileNotFoundError):
        file_storage.open_range("uploads/missing/original", 0, 1)


def test_a_missing_key_has_no_size_and_cannot_be_opened(file_storage):
    assert file_storage.size("uploads/missing/original") is None
    with pytest.raises(FileNotFoundError):
        file_storage.read("uploads/missing/original")


def test_delete_removes_and_repeating_it_is_harmless(file_storage):
    file_storage.put("uploads/d/original", io.BytesIO(b"x"), "text/plain")
    file_storage.delete("uploads/d/original")
    file_storage.delete("uploads/d/original")
    assert file_storage.size("uploads/d/original") is None


def test_a_big_file_goes_up_whole(file_storage):
    # Above boto3's 8 MB threshold: on S3 this is a multipart upload.
    data = os.urandom(9 * 1024 * 1024 + 17)
    file_storage.put("uploads/e/original", io.BytesIO(data), "application/octet-stream")
    assert file_storage.size("uploads/e/original") == len(data)
    assert file_storage.read("uploads/e/original") == data


@pytest.mark.django_db
def test_a_presigned_put_stores_the_clients_bytes(file_storage):
    target = file_storage.presign_put("uploads/f/original", 5, "application/octet-stream", 60)
    assert target.expires_in == 60
    if target.url.startswith("/"):  # the filesystem store's own signed endpoint
        response = Client().put(target.url, b"abcde", content_type=target.headers["Content-Type"])
        assert response.status_code == 200, response.content
    else:
        request = urllib.request.Request(target.url, data=b"abcde", method="PUT", headers=target.headers)  # noqa: S310
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - the local S3 server
            assert response.status == 200
    assert file_storage.read("uploads/f/original") == b"abcde"
