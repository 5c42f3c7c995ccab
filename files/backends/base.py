"""The contract of an object store for uploaded files. The contract suite checks it on each adapter.

Keys are the server's own (see files.models.Upload.key): never a user's file name.
"""

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import BinaryIO

from rest_framework import status

from chatsite.api_errors import ApiError


class StorageUnavailable(ApiError):
    """The object store did not answer (stopped, unreachable, timed out). The request gets a 503
    it may retry, in the API's one error shape, instead of a 500 with a traceback in the log."""

    def __init__(self):
        super().__init__(
            "storage_unavailable",
            "File storage cannot be reached right now. Try again in a moment.",
            status.HTTP_503_SERVICE_UNAVAILABLE,
        )


@dataclass
class PresignedUpload:
    """Where and how a client sends a file's bytes itself: an HTTP PUT of exactly `size` bytes to
    `url` with `headers`, before `expires_in` seconds pass."""

    url: str
    headers: dict = field(default_factory=dict)
    expires_in: int = 0


class _Window:
    """At most `left` bytes of an open file object, then its end (a Range request's part)."""

    def __init__(self, blob, left):
        self.blob, self.left = blob, left

    def read(self, n=-1):
        n = self.left if n is None or n < 0 else min(n, self.left)
        chunk = self.blob.read(n) if n else b""
        self.left -= len(chunk)
        return chunk

    def close(self):
        self.blob.close()


class ObjectStorage(ABC):
    @abstractmethod
    def put(self, key: str, data: BinaryIO, content_type: str) -> None:
        """Store `data` (a file object, read to its end) under `key`, replacing what was there."""

    @abstractmethod
    def open(self, key: str) -> BinaryIO:
        """A readable binary file object; raises FileNotFoundError for a missing key."""

    def open_range(self, key: str, start: int, end: int) -> BinaryIO:
        """A readable file object of bytes start..end (inclusive) only; FileNotFoundError for a
        missing key. The default seeks in what `open` gives; a remote store asks for the range."""
        blob = self.open(key)
        blob.seek(start)
        return _Window(blob, end - start + 1)

    def read(self, key: str, limit: int | None = None) -> bytes:
        """The first `limit` bytes (all of them when None)."""
        with self.open(key) as f:
            return f.read() if limit is None else f.read(limit)

    @abstractmethod
    def size(self, key: str) -> int | None:
        """The stored size in bytes, or None for a missing key."""

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove `key`; a missing key is not an error (purges repeat)."""

    @abstractmethod
    def ping(self, timeout: float) -> None:
        """Raise unless the store answers within `timeout` (the readiness probe)."""

    @abstractmethod
    def presign_put(self, key: str, size: int, content_type: str, expires_in: int) -> PresignedUpload:
        """A URL the client can PUT exactly `size` bytes to, without going through a web worker
        where the store allows it."""
