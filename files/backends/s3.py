"""Any S3-compatible object store (AWS S3, SeaweedFS, MinIO, Ceph...) through django-storages and
boto3. Big files go up in parts (boto3's managed transfer), reads of a file's head are range reads,
and clients upload big files straight to the store with a presigned PUT."""

import logging
from contextlib import closing, contextmanager

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError, ReadTimeoutError
from botocore.exceptions import ConnectionError as UnreachableError
from storages.backends.s3 import S3Storage as DjangoS3Storage

from files.backends.base import ObjectStorage, PresignedUpload, StorageUnavailable

MISSING = {"404", "NoSuchKey", "NotFound"}
log = logging.getLogger(__name__)


@contextmanager
def answering():
    """Around every call to the store: one that cannot be reached (after boto3's own retries) is
    StorageUnavailable, logged once here."""
    try:
        yield
    except (UnreachableError, ReadTimeoutError) as error:
        log.warning("the object store did not answer: %s", error)
        raise StorageUnavailable() from error


class S3Storage(ObjectStorage):
    def __init__(self, *, bucket, prefix="", endpoint_url=None, access_key=None, secret_key=None, region="us-east-1"):
        self.prefix = f"{prefix}/" if prefix else ""
        self.storage = DjangoS3Storage(
            bucket_name=bucket,
            endpoint_url=endpoint_url,
            access_key=access_key,
            secret_key=secret_key,
            region_name=region,
            # Path-style addressing: what self-hosted stores on one host name answer.
            client_config=Config(
                signature_version="s3v4", s3={"addressing_style": "path"}, retries={"max_attempts": 3}
            ),
            default_acl=None,
            file_overwrite=True,
        )
        self.bucket_name = bucket
        self.endpoint_url, self.access_key, self.secret_key, self.region = endpoint_url, access_key, secret_key, region
        self._probe = None

    @property
    def client(self):
        return self.storage.connection.meta.client

    def _key(self, key):
        return self.prefix + key

    def ping(self, timeout):
        """Raise unless the bucket answers within `timeout` seconds (the readiness probe): a
        client of its own, which neither waits the transfer client's minute nor retries."""
        if self._probe is None:
            self._probe = boto3.session.Session().client(
                "s3",
                endpoint_url=self.endpoint_url,
                aws_access_key_id=self.access_key,
                aws_secret_access_key=self.secret_key,
                region_name=self.region,
                config=Config(
                    signature_version="s3v4",
                    s3={"addressing_style": "path"},
                    connect_timeout=timeout,
                    read_timeout=timeout,
                    retries={"max_attempts": 1},
                ),
            )
        self._probe.head_bucket(Bucket=self.bucket_name)

    def ensure_bucket(self):
        """Create the bucket if it is missing (tests and first runs; production makes its own)."""
        try:
            self.client.head_bucket(Bucket=self.bucket_name)
        except ClientError:
            self.client.create_bucket(Bucket=self.bucket_name)

    @answering()
    def put(self, key, data, content_type):
        # upload_fileobj switches to a multipart upload above its threshold (8 MB).
        self.client.upload_fileobj(data, self.bucket_name, self._key(key), ExtraArgs={"ContentType": content_type})

    @answering()
    def open(self, key):
        try:
            return self.client.get_object(Bucket=self.bucket_name, Key=self._key(key))["Body"]
        except ClientError as e:
            if e.response["Error"]["Code"] in MISSING:
                raise FileNotFoundError(key) from e
            raise

    @answering()
    def open_range(self, key, start, end):
        try:
            args = {"Bucket": self.bucket_name, "Key": self._key(key), "Range": f"bytes={start}-{end}"}
            return self.client.get_object(**args)["Body"]
        except ClientError as e:
            if e.response["Error"]["Code"] in MISSING:
                raise FileNotFoundError(key) from e
            raise

    @answering()
    def read(self, key, limit=None):
        args = {"Bucket": self.bucket_name, "Key": self._key(key)}
        if limit is not None:
            args["Range"] = f"bytes=0-{max(limit, 1) - 1}"
        try:
            with closing(self.client.get_object(**args)["Body"]) as body:
                return body.read()[: limit if limit is not None else None]
        except ClientError as e:
            if e.response["Error"]["Code"] in MISSING:
                raise FileNotFoundError(key) from e
            raise

    @answering()
    def size(self, key):
        try:
            return self.client.head_object(Bucket=self.bucket_name, Key=self._key(key))["ContentLength"]
        except ClientError as e:
            if e.response["Error"]["Code"] in MISSING:
                return None
            raise

    @answering()
    def delete(self, key):
        self.client.delete_object(Bucket=self.bucket_name, Key=self._key(key))

    def presign_put(self, key, size, content_type, expires_in):
        url = self.client.generate_presigned_url(
            "put_object",
            Params={"Bucket": self.bucket_name, "Key": self._key(key), "ContentType": content_type},
            ExpiresIn=expires_in,
        )
        return PresignedUpload(url=url, headers={"Content-Type": content_type}, expires_in=expires_in)
