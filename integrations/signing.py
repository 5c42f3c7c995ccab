"""How outgoing webhooks are signed, and how a receiver checks it.

Headers of every POST:
- `X-Chatsite-Timestamp`: Unix seconds when it was sent;
- `X-Chatsite-Signature`: `v1=` + hex HMAC-SHA256, keyed with the webhook's secret, of
  `<timestamp>.` followed by the raw body.

A receiver recomputes it over the bytes it got, compares in constant time, and refuses a
timestamp more than a few minutes away from its clock, so a captured request can't be replayed
later.
"""

import hashlib
import hmac
import time

TIMESTAMP_HEADER = "X-Chatsite-Timestamp"
SIGNATURE_HEADER = "X-Chatsite-Signature"
TOLERANCE_SECONDS = 300


def signature(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"v1={digest}"


def headers(secret: str, body: bytes, *, now=None) -> dict:
    timestamp = int(now if now is not None else time.time())
    return {TIMESTAMP_HEADER: str(timestamp), SIGNATURE_HEADER: signature(secret, timestamp, body)}


def verify(secret: str, timestamp: str, given: str, body: bytes, *, now=None, tolerance=TOLERANCE_SECONDS) -> bool:
    if not (isinstance(timestamp, str) and timestamp.isdigit() and isinstance(given, str)):
        return False
    now = now if now is not None else time.time()
    if abs(now - int(timestamp)) > tolerance:
        return False
    return hmac.compare_digest(signature(secret, int(timestamp), body), given)
