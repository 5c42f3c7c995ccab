"""The server's VAPID key (RFC 8292): from VAPID_PRIVATE_KEY, or made once and kept in
VAPID_KEY_FILE, so that the embedded default works without configuration and the browsers'
subscriptions (tied to the public key) survive a restart."""

import base64
import os
import threading
from functools import cache

from cryptography.hazmat.primitives import serialization
from django.conf import settings
from py_vapid import Vapid02

_lock = threading.Lock()


def _b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _from_setting(value):
    value = value.strip()
    if value.startswith("-----BEGIN"):
        return Vapid02.from_pem(value.encode())
    return Vapid02.from_string(value)  # base64url DER, or the raw 32-byte key


def _from_file(path):
    with _lock:
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            key = Vapid02()
            key.generate_keys()
            # Owner-only, written whole: a half-written key would lose every subscription.
            tmp = path.with_suffix(".tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as out:
                out.write(key.private_pem())
            os.replace(tmp, path)
        return Vapid02.from_file(str(path))


@cache
def _key(setting_value, path):
    return _from_setting(setting_value) if setting_value else _from_file(path)


def key():
    return _key(settings.VAPID_PRIVATE_KEY, settings.VAPID_KEY_FILE)


def public_key():
    """The application server key a browser subscribes with: the uncompressed point, base64url."""
    raw = key().public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return _b64url(raw)


def authorization(endpoint_origin, expires_at):
    """The Authorization header for a push to a service at `endpoint_origin`."""
    claims = {"aud": endpoint_origin, "sub": settings.VAPID_SUBJECT, "exp": int(expires_at)}
    return key().sign(claims)["Authorization"]
