"""The embedded default: files on the local disk, under FILES_ROOT (in the state folder).

A "presigned" upload is a signed URL of this server's own (files.api.views.BlobUploadView), so
clients use one upload flow whichever store is configured.
"""

import os
import re
import shutil
import tempfile
from pathlib import Path

from django.urls import reverse

from files import signing
from files.backends.base import ObjectStorage, PresignedUpload

# Keys are made by the server; anything else (a "..", an absolute path) is a bug, not a file.
KEY = re.compile(r"^[A-Za-z0-9_-]+(/[A-Za-z0-9_.-]+)*$")


class FilesystemStorage(ObjectStorage):
    def __init__(self, root):
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        if not KEY.match(key) or ".." in key:
            raise ValueError(f"not a storage key: {key!r}")
        return self.root / key

    def put(self, key, data, content_type):
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write beside it, then rename: a reader never sees half a file.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".part-")
        try:
            with os.fdopen(fd, "wb") as out:
                shutil.copyfileobj(data, out, 1024 * 1024)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def open(self, key):
        return self._path(key).open("rb")

    def size(self, key):
        try:
            return self._path(key).stat().st_size
        except FileNotFoundError:
            return None

    def ping(self, timeout):
        # The embedded default is not probed (chatsite.health pings configured services only);
        # this answers for a caller that asks anyway.
        if not self.root.parent.exists():
            raise FileNotFoundError(self.root)

    def delete(self, key):
        self._path(key).unlink(missing_ok=True)

    def presign_put(self, key, size, content_type, expires_in):
        token = signing.sign_upload(key, size, content_type)
        return PresignedUpload(
            url=reverse("files:blob", args=[token]),
            headers={"Content-Type": content_type},
            expires_in=expires_in,
        )
