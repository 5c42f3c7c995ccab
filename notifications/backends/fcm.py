"""Firebase Cloud Messaging, HTTP v1: an OAuth2 access token from the service account (a JWT
signed RS256, exchanged at the account's token_uri, kept until shortly before it expires), then
POST {FCM_ENDPOINT}/v1/projects/<project>/messages:send with one message per device token."""

import base64
import json
import threading
import time

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from django.conf import settings

from notifications.backends.base import ERROR, Outcome, from_http, network_failure, shared_client

SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
_token = {"value": None, "expires": 0.0, "account": None}
_lock = threading.Lock()


def _b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def service_account():
    with open(settings.FCM_SERVICE_ACCOUNT_FILE) as source:
        return json.load(source)


def assertion(account, now):
    """The signed JWT a service account trades for an access token (RFC 7523)."""
    header = {"alg": "RS256", "typ": "JWT", "kid": account.get("private_key_id", "")}
    claims = {
        "iss": account["client_email"],
        "scope": SCOPE,
        "aud": account["token_uri"],
        "iat": now,
        "exp": now + 3600,
    }
    signing_input = f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(claims).encode())}"
    key = serialization.load_pem_private_key(account["private_key"].encode(), password=None)
    signature = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{_b64url(signature)}"


def access_token():
    """A valid access token, fetched again a minute before the last one expires."""
    with _lock:
        if (
            _token["value"]
            and _token["expires"] > time.time() + 60
            and _token["account"] == settings.FCM_SERVICE_ACCOUNT_FILE
        ):
            return _token["value"]
        account = service_account()
        response = shared_client().post(
            account["token_uri"],
            data={
                "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
                "assertion": assertion(account, int(time.time())),
            },
        )
        response.raise_for_status()
        body = response.json()
        _token.update(
            value=body["access_token"],
            expires=time.time() + int(body.get("expires_in", 3600)),
            account=settings.FCM_SERVICE_ACCOUNT_FILE,
        )
        return _token["value"]


def forget_token():
    _token.update(value=None, expires=0.0, account=None)


def message(notification, device, payload):
    """The v1 message: the visible part, the data (strings only), Android's collapse key and the
    notification's tag (the conversation), so that the app can find it again. A withdrawal is a
    data message only: the app removes the tag's notification and sets the badge."""
    android = {"collapse_key": payload["tag"], "priority": "high", "ttl": f"{settings.NOTIFY_PUSH_TTL}s"}
    body = {"token": device.token, "data": {key: str(value) for key, value in payload.items() if value is not None}}
    if payload["type"] != "withdraw":
        body["notification"] = {"title": payload["title"], "body": payload["body"]}
        android["notification"] = {"tag": payload["tag"], "notification_count": payload["badge"]}
    return {"message": {**body, "android": android}}


def send(notification, device, payload) -> Outcome:
    if not settings.FCM_SERVICE_ACCOUNT_FILE:
        return Outcome(ERROR, None, "FCM is not configured (FCM_SERVICE_ACCOUNT_FILE)")
    try:
        token = access_token()
        project = service_account()["project_id"]
        response = shared_client().post(
            f"{settings.FCM_ENDPOINT}/v1/projects/{project}/messages:send",
            json=message(notification, device, payload),
            headers={"Authorization": f"Bearer {token}"},
        )
    except Exception as exc:  # any failure of the network or the token exchange: tried again later
        return network_failure(exc)
    if response.status_code == 401:
        forget_token()
    gone = response.status_code in (400, 404) and any(
        word in response.text for word in ("UNREGISTERED", "registration-token-not-registered")
    )
    return from_http(response, gone_statuses=(), gone=gone)
