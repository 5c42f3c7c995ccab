"""Web Push (RFC 8030) with VAPID (RFC 8292) and the aes128gcm body (RFC 8291 on RFC 8188)."""

import base64
import time
from urllib.parse import urlsplit

import http_ece
import orjson
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings

from chatsite import outbound
from notifications import vapid
from notifications.backends.base import ERROR, Outcome, from_http, network_failure, shared_client


def _unb64(value):
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def encrypt(payload: bytes, p256dh: str, auth: str) -> bytes:
    """The body for one subscription: a fresh sender key per message, as the RFC requires."""
    sender = ec.generate_private_key(ec.SECP256R1())
    return http_ece.encrypt(
        payload, private_key=sender, dh=_unb64(p256dh), auth_secret=_unb64(auth), version="aes128gcm"
    )


def topic_for(notification):
    # A push with the same Topic replaces an undelivered one: one per conversation, base64url, <= 32.
    return notification.conversation_id.hex[:32]


def send(notification, device, payload: dict) -> Outcome:
    try:
        outbound.check_url(
            device.endpoint,
            schemes=("https",),
            allowed_hosts=settings.NOTIFY_PUSH_HOSTS,
            allow_loopback=settings.NOTIFY_PUSH_ALLOW_LOOPBACK,
        )
    except outbound.Unresolved as exc:
        return network_failure(exc)
    except outbound.UnsafeURL as exc:  # the address changed since it was registered (DNS), or the settings did
        return Outcome(ERROR, None, f"refused endpoint: {exc}")
    parts = urlsplit(device.endpoint)
    origin = f"{parts.scheme}://{parts.netloc}"
    headers = {
        "Authorization": vapid.authorization(origin, time.time() + 12 * 3600),
        "TTL": str(settings.NOTIFY_PUSH_TTL),
        "Content-Encoding": "aes128gcm",
        "Content-Type": "application/octet-stream",
        # A withdrawal may wait for the device to wake; a message should not.
        "Urgency": "normal" if payload.get("type") == "withdraw" else "high",
        "Topic": topic_for(notification),
    }
    body = encrypt(orjson.dumps(payload), device.p256dh, device.auth)
    try:
        response = shared_client().post(device.endpoint, content=body, headers=headers)
    except Exception as exc:  # any failure of the network or the service: tried again later
        return network_failure(exc)
    return from_http(response)
