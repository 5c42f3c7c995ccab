"""Apple Push Notification service with token authentication over HTTP/2: an ES256 provider token
(JWT with the key id and team id, signed by the .p8 key) kept for APNS_TOKEN_SECONDS (Apple refuses
one older than an hour and one renewed more than once in 20 minutes), then
POST {APNS_ENDPOINT}/3/device/<token> with the apns-* headers and the JSON payload.

A message's push is an alert whose apns-collapse-id is the conversation's tag, so a later push of
the same conversation replaces it on the phone; a withdrawal is a background push (content-available)
that tells the app which tag to remove and carries the new badge."""

import base64
import json
import threading
import time

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from django.conf import settings

from notifications.backends.base import ERROR, RETRY, Outcome, from_http, http_client, network_failure

# What APNs answers (in the JSON body's "reason") for a token that will never work again.
GONE_REASONS = {"BadDeviceToken", "Unregistered", "DeviceTokenNotForTopic"}
# Answers that mean our provider token must be made again before the next try.
STALE_TOKEN_REASONS = {"ExpiredProviderToken", "InvalidProviderToken"}

_token = {"value": None, "made": 0.0, "config": None}
_lock = threading.Lock()
_client = {"value": None, "config": None}


def _b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _config():
    return (settings.APNS_KEY_FILE, settings.APNS_KEY_ID, settings.APNS_TEAM_ID)


def provider_token(now):
    """A JWT signed ES256 with the .p8 key: header {alg, kid}, claims {iss: team id, iat}."""
    with open(settings.APNS_KEY_FILE, "rb") as source:
        key = serialization.load_pem_private_key(source.read(), password=None)
    header = {"alg": "ES256", "kid": settings.APNS_KEY_ID}
    claims = {"iss": settings.APNS_TEAM_ID, "iat": int(now)}
    signing_input = f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(claims).encode())}"
    r, s = decode_dss_signature(key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
    # A JWS ES256 signature is r || s, 32 bytes each, not the DER that cryptography makes.
    return f"{signing_input}.{_b64url(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


def current_token():
    with _lock:
        now = time.time()
        if _token["value"] and _token["config"] == _config() and now - _token["made"] < settings.APNS_TOKEN_SECONDS:
            return _token["value"]
        _token.update(value=provider_token(now), made=now, config=_config())
        return _token["value"]


def forget_token():
    _token.update(value=None, made=0.0, config=None)


def client():
    """One HTTP/2 connection pool per process: APNs wants connections kept open and reused."""
    with _lock:
        config = (settings.APNS_ENDPOINT, settings.NOTIFY_CA_BUNDLE)
        if _client["value"] is None or _client["config"] != config:
            if _client["value"] is not None:
                _client["value"].close()
            _client.update(value=http_client(http2=True), config=config)
        return _client["value"]


def reset_client():
    with _lock:
        if _client["value"] is not None:
            _client["value"].close()
        _client.update(value=None, config=None)


def request(device, payload):
    """(headers, body) of the push for this payload: an alert, or a withdrawal."""
    topic = device.app_id or settings.APNS_TOPIC
    headers = {
        "authorization": f"bearer {current_token()}",
        "apns-topic": topic,
        "apns-expiration": str(int(time.time()) + settings.NOTIFY_PUSH_TTL),
    }
    custom = {key: value for key, value in payload.items() if key not in ("title", "body", "badge")}
    if payload["type"] == "withdraw":
        # Apple: a background push has content-available and priority 5; the app removes the
        # delivered notifications with this tag (UNUserNotificationCenter) and sets the badge.
        headers.update({"apns-push-type": "background", "apns-priority": "5"})
        aps = {"content-available": 1}
    else:
        headers.update({"apns-push-type": "alert", "apns-priority": "10", "apns-collapse-id": payload["tag"][:64]})
        aps = {
            "alert": {"title": payload["title"], "body": payload["body"]},
            "sound": "default",
            "thread-id": payload["conversation_id"],
            "mutable-content": 1,
        }
    if payload.get("badge") is not None:
        aps["badge"] = payload["badge"]
    return headers, json.dumps({"aps": aps, **custom}).encode()


def reason_of(response):
    try:
        return json.loads(response.content or b"{}").get("reason", "")
    except ValueError:
        return ""


def send(notification, device, payload) -> Outcome:
    if not (settings.APNS_KEY_FILE and settings.APNS_KEY_ID and settings.APNS_TEAM_ID):
        return Outcome(ERROR, None, "APNs is not configured (APNS_KEY_FILE, APNS_KEY_ID, APNS_TEAM_ID)")
    if not (device.app_id or settings.APNS_TOPIC):
        return Outcome(ERROR, None, "APNs needs a topic: the device's app_id or APNS_TOPIC")
    try:
        headers, body = request(device, payload)
        response = client().post(f"{settings.APNS_ENDPOINT}/3/device/{device.token}", content=body, headers=headers)
    except Exception as exc:  # the network, TLS or the key file: tried again later
        return network_failure(exc)
    reason = reason_of(response)
    if reason in STALE_TOKEN_REASONS:  # 403: a new token on the next try will do
        forget_token()
        return Outcome(RETRY, response.status_code, reason)
    return from_http(response, gone_statuses=(410,), gone=reason in GONE_REASONS)
