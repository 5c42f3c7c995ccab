"""Short-lived signed tokens: a download link (what to serve, under which name and type) and, on
the filesystem store, an upload link. Signed with SECRET_KEY, so they need no table and any web
process can check them; each salt keeps one kind from being replayed as the other."""

from django.conf import settings
from django.core import signing

DOWNLOAD = "files.download"
UPLOAD = "files.upload"


class BadToken(Exception):
    pass


def sign_download(key: str, name: str, content_type: str, inline: bool) -> str:
    return signing.dumps({"k": key, "n": name, "t": content_type, "i": inline}, salt=DOWNLOAD, compress=True)


def read_download(token: str) -> dict:
    return _load(token, DOWNLOAD, settings.DOWNLOAD_URL_SECONDS)


def sign_upload(key: str, size: int, content_type: str) -> str:
    return signing.dumps({"k": key, "s": size, "t": content_type}, salt=UPLOAD, compress=True)


def read_upload(token: str) -> dict:
    return _load(token, UPLOAD, settings.PRESIGNED_UPLOAD_SECONDS)


def _load(token, salt, max_age):
    try:
        return signing.loads(token, salt=salt, max_age=max_age)
    except signing.BadSignature as e:  # SignatureExpired is one too
        raise BadToken(str(e)) from None
