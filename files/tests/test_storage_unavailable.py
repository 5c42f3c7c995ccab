"""An object store that does not answer: every request that needs it gets a 503 with a code it can
act on (retry later), never a 500, and nothing the user had is changed."""

import io

import pytest

from chatsite.testing_server import free_port
from files.backends import get_storage
from files.backends.base import StorageUnavailable
from files.tests.test_avatars import put_avatar
from testkit import files as samples
from testkit.api import assert_error

pytestmark = pytest.mark.django_db


@pytest.fixture
def stopped_store(settings):
    """An S3 adapter whose endpoint is a port nothing listens on: a store that is down."""
    settings.STORAGE_URL = f"s3://key:secret@127.0.0.1:{free_port()}/chatsite?tls=false"
    get_storage.cache_clear()
    yield get_storage()
    get_storage.cache_clear()


CALLS = {
    "put": lambda store: store.put("k", io.BytesIO(b"bytes"), "text/plain"),
    "open": lambda store: store.open("k"),
    "open_range": lambda store: store.open_range("k", 0, 1),
    "read": lambda store: store.read("k"),
    "size": lambda store: store.size("k"),
    "delete": lambda store: store.delete("k"),
}


@pytest.mark.parametrize("call", CALLS.values(), ids=CALLS.keys())
def test_each_call_to_a_store_that_is_down_says_storage_unavailable(stopped_store, call):
    with pytest.raises(StorageUnavailable):
        call(stopped_store)


def test_an_upload_while_the_store_is_down_is_a_503_and_the_profile_keeps_its_picture(stopped_store, client_for, alice):
    before = client_for(alice).get("/api/v1/me").json()["avatar_url"]
    response = put_avatar(client_for(alice), samples.png((120, 120), mode="RGB"))
    error = assert_error(response, 503, "storage_unavailable")
    assert "Try again" in error["message"]
    assert client_for(alice).get("/api/v1/me").json()["avatar_url"] == before
