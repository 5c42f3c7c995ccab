"""The object storage port. `get_storage()` returns the adapter that STORAGE_URL selects: the local
filesystem under FILES_ROOT when it is empty, an S3-compatible store for `s3://...`."""

from functools import cache
from urllib.parse import parse_qs, unquote, urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


@cache
def get_storage():
    url = settings.STORAGE_URL
    if not url:
        from files.backends.filesystem import FilesystemStorage

        return FilesystemStorage(settings.FILES_ROOT)
    if url.startswith("s3://"):
        from files.backends.s3 import S3Storage

        return S3Storage(**parse_s3_url(url))
    raise ImproperlyConfigured("STORAGE_URL must be empty (files on disk) or s3://KEY:SECRET@HOST:PORT/BUCKET")


def parse_s3_url(url: str) -> dict:
    """s3://KEY:SECRET@HOST[:PORT]/BUCKET[/PREFIX]?region=R&tls=false. Without a host it is AWS
    itself, and the key and secret may come from boto3's usual places (environment, instance role)."""
    parts = urlsplit(url)
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    bucket, _, prefix = parts.path.lstrip("/").partition("/")
    if not bucket:
        raise ImproperlyConfigured("STORAGE_URL names no bucket: s3://KEY:SECRET@HOST:PORT/BUCKET")
    tls = query.get("tls", "true").lower() not in ("0", "false", "no", "off")
    endpoint = None
    if parts.hostname:
        port = f":{parts.port}" if parts.port else ""
        endpoint = f"{'https' if tls else 'http'}://{parts.hostname}{port}"
    return {
        "bucket": bucket,
        "prefix": prefix.strip("/"),
        "endpoint_url": endpoint,
        "access_key": unquote(parts.username) if parts.username else None,
        "secret_key": unquote(parts.password) if parts.password else None,
        "region": query.get("region", "us-east-1"),
    }
