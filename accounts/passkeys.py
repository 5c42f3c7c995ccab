"""Passkeys (WebAuthn) as a second factor, through py_webauthn.

Each ceremony has two steps: the options, with a fresh random challenge that this browser session
keeps, then the authenticator's answer, verified against that challenge (spent on the first try),
the relying party's id and origin (settings.WEBAUTHN_*), and for a sign-in the stored public key and
use counter. `accounts.actions.do_login` spends an assertion here, as it spends a code in
`accounts.two_factor`; the challenge lives in the session, so passkeys are for browsers.
"""

import json
import time
from urllib.parse import urlsplit

import webauthn
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from rest_framework import status
from webauthn.helpers import bytes_to_base64url
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from accounts import throttles, two_factor
from accounts.models import Passkey, RecoveryCode
from chatsite.api_errors import ApiError
from streaming.events import emit

_REGISTRATION = "passkey_registration"
_ASSERTION = "passkey_assertion"
# How long the browser's passkey prompt may stay open (the options' timeout, in ms, says the same).
CEREMONY_SECONDS = 120
MAX_PASSKEYS = 10


def relying_party(request) -> tuple[str, str]:
    """(rp id, origin): the settings, or else the site this request reached (its host was checked
    against ALLOWED_HOSTS)."""
    origin = settings.WEBAUTHN_ORIGIN or f"{request.scheme}://{request.get_host()}"
    return settings.WEBAUTHN_RP_ID or urlsplit(origin).hostname, origin


def of_user(user):
    return Passkey.objects.filter(user=user).order_by("created_at", "pk")


def _user_handle(user) -> bytes:
    # An opaque, stable id for the authenticator: not the username, which it may show elsewhere.
    return salted_hmac("accounts.passkeys.user_handle", str(user.pk), algorithm="sha256").digest()


def _descriptors(user):
    return [PublicKeyCredentialDescriptor(id=webauthn.base64url_to_bytes(p.credential_id)) for p in of_user(user)]


def _remember(request, key, user, challenge: bytes) -> None:
    request.session[key] = {"user": user.pk, "challenge": bytes_to_base64url(challenge), "at": time.time()}


def _spend(request, key, user) -> bytes:
    """The session's pending challenge for this user, removed: each is good for one answer."""
    pending = request.session.pop(key, None) if hasattr(request, "session") else None
    if not pending or pending.get("user") != user.pk or time.time() - pending.get("at", 0) > CEREMONY_SECONDS:
        raise ApiError("invalid_challenge", "The passkey prompt took too long or is not valid; start again.", 400)
    return webauthn.base64url_to_bytes(pending["challenge"])


def _options(options) -> dict:
    return json.loads(webauthn.options_to_json(options))


# --- registration ---


def do_start_registration(request, user) -> dict:
    if of_user(user).count() >= MAX_PASSKEYS:
        raise ApiError("too_many", f"You have {MAX_PASSKEYS} passkeys; remove one first.", status.HTTP_409_CONFLICT)
    rp_id, _ = relying_party(request)
    options = webauthn.generate_registration_options(
        rp_id=rp_id,
        rp_name=settings.WEBAUTHN_RP_NAME,
        user_id=_user_handle(user),
        user_name=user.username,
        user_display_name=user.shown_name,
        timeout=CEREMONY_SECONDS * 1000,
        exclude_credentials=_descriptors(user),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED, user_verification=UserVerificationRequirement.PREFERRED
        ),
    )
    _remember(request, _REGISTRATION, user, options.challenge)
    return _options(options)


def check_registration(request, user, credential):
    challenge = _spend(request, _REGISTRATION, user)
    rp_id, origin = relying_party(request)
    try:
        verified = webauthn.verify_registration_response(
            credential=credential, expected_challenge=challenge, expected_rp_id=rp_id, expected_origin=origin
        )
    except (WebAuthnException, ValueError, TypeError, KeyError) as error:
        raise ApiError("invalid_passkey", f"The passkey was not accepted: {error}", 400) from None
    if Passkey.objects.filter(credential_id=bytes_to_base64url(verified.credential_id)).exists():
        raise ApiError("already_registered", "This passkey is already registered.", status.HTTP_409_CONFLICT)
    return verified


def do_register(request, user, name: str, credential) -> tuple[Passkey, list[str]]:
    """Store a new passkey. The first second factor of an account also brings recovery codes
    (returned, shown once), as turning on the authenticator app does."""
    with transaction.atomic():
        verified = check_registration(request, user, credential)
        first = not two_factor.is_enabled(user)
        passkey = Passkey.objects.create(
            user=user,
            credential_id=bytes_to_base64url(verified.credential_id),
            public_key=verified.credential_public_key,
            sign_count=verified.sign_count,
            name=name or "Passkey",
        )
        codes = []
        if first or not RecoveryCode.objects.filter(user=user).exists():
            codes = two_factor.new_recovery_codes(user)
        if first:
            emit("user.two_factor_changed", key=user.pk, payload={"user_id": user.pk, "enabled": True}, actor=user)
    two_factor.mark_session_verified(request)
    return passkey, codes


def do_remove(request, user, passkey_id, password) -> None:
    """Remove one passkey (the password again: a stolen session alone can't)."""
    with transaction.atomic():
        if not isinstance(password, str) or not user.check_password(password):
            throttles.note_failed_login(user.username)
            raise ApiError("invalid", "The password is wrong.", fields={"password": ["The password is wrong."]})
        deleted, _ = of_user(user).filter(pk=passkey_id).delete()
        if not deleted:
            raise ApiError("not_found", "No such passkey.", status.HTTP_404_NOT_FOUND)
        if not two_factor.is_enabled(user):
            two_factor.remove_all(user)
            emit("user.two_factor_changed", key=user.pk, payload={"user_id": user.pk, "enabled": False}, actor=user)


# --- sign-in ---


def do_start_assertion(request, user) -> dict:
    descriptors = _descriptors(user)
    if not descriptors:
        raise ApiError("no_passkey", "This account has no passkey; use a code.", status.HTTP_409_CONFLICT)
    rp_id, _ = relying_party(request)
    options = webauthn.generate_authentication_options(
        rp_id=rp_id,
        timeout=CEREMONY_SECONDS * 1000,
        allow_credentials=descriptors,
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    _remember(request, _ASSERTION, user, options.challenge)
    return _options(options)


def check_assertion(request, user, credential) -> None:
    """Spend the session's challenge on this answer of one of the user's passkeys, or refuse.
    A refusal counts as a failed sign-in (accounts.throttles), like a wrong code."""
    throttles.check_login_allowed(request, user.username)
    challenge = _spend(request, _ASSERTION, user)
    rp_id, origin = relying_party(request)
    credential_id = credential.get("id") if isinstance(credential, dict) else None
    with transaction.atomic():
        passkey = of_user(user).select_for_update().filter(credential_id=str(credential_id)).first()
        if passkey is not None:
            try:
                verified = webauthn.verify_authentication_response(
                    credential=credential,
                    expected_challenge=challenge,
                    expected_rp_id=rp_id,
                    expected_origin=origin,
                    credential_public_key=bytes(passkey.public_key),
                    credential_current_sign_count=passkey.sign_count,
                )
            except (WebAuthnException, ValueError, TypeError, KeyError):
                verified = None
            if verified is not None:
                passkey.sign_count = verified.new_sign_count
                passkey.last_used_at = timezone.now()
                passkey.save(update_fields=["sign_count", "last_used_at"])
                return
    throttles.note_failed_login(user.username)
    raise ApiError("invalid_passkey", "The passkey was not accepted.", 400)
