"""Two-factor sign-in: an authenticator app (TOTP, RFC 6238), passkeys (accounts.passkeys) and
one-time recovery codes.

Every rule about the second factor lives here: who must have it, which codes count, how enrolment,
disabling and an admin's reset work, and the short-lived challenge that carries a user from the
password step to the code step. `accounts.actions.do_login` (every token and session) and the admin
site ask this module, nothing else decides.
"""

import hashlib
import secrets
from datetime import timedelta

import pyotp
from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils import timezone
from rest_framework import status

from accounts import throttles
from accounts.models import Passkey, RecoveryCode, TwoFactor, User
from chatsite.api_errors import ApiError
from gateway.protocol import Close
from streaming.events import emit

ISSUER = "chatsite"
RECOVERY_CODE_COUNT = 10
# The session key that says this browser session passed the second factor (the admin asks it).
SESSION_VERIFIED = "two_factor_verified"
_CHALLENGE_SALT = "accounts.two_factor.challenge"
# One step either side: a phone clock a little off, or a code typed as it rolled over.
_VALID_WINDOW = 1


def _now():
    # The clock codes are checked against; tests hold it still, so that no code rolls over mid-test.
    return timezone.now()


def has_app(user) -> bool:
    return TwoFactor.objects.filter(user=user, confirmed_at__isnull=False).exists()


def is_enabled(user) -> bool:
    """Whether signing in asks a second factor: an authenticator app, or a passkey."""
    return has_app(user) or Passkey.objects.filter(user=user).exists()


def is_required(user) -> bool:
    """Whether this user may reach the admin only after a second factor."""
    return bool(settings.TWO_FACTOR_REQUIRED_FOR_STAFF and (user.is_staff or user.is_superuser))


def status_of(user) -> dict:
    return {
        "enabled": is_enabled(user),
        "authenticator_app": has_app(user),
        "passkeys": Passkey.objects.filter(user=user).count(),
        "required": is_required(user),
        "recovery_codes_left": RecoveryCode.objects.filter(user=user, used_at__isnull=True).count(),
    }


# --- codes ---


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def _normalize(code) -> str:
    # People copy codes with spaces or dashes ("123 456", "abcd-efgh-ij").
    return "".join(str(code).split()).replace("-", "").lower() if isinstance(code, str) else ""


def _take_totp(device: TwoFactor, code: str) -> bool:
    """Accept a TOTP code at most once: its time step must be newer than the last one accepted."""
    if not (code.isdigit() and len(code) == 6):
        return False
    totp = pyotp.TOTP(device.secret)
    now = _now()
    for offset in range(-_VALID_WINDOW, _VALID_WINDOW + 1):
        at = now + timedelta(seconds=offset * totp.interval)
        step = totp.timecode(at)
        if step > device.last_step and secrets.compare_digest(totp.at(at), code):
            device.last_step = step
            device.save(update_fields=["last_step"])
            return True
    return False


def _take_recovery_code(user, code: str) -> bool:
    return bool(
        RecoveryCode.objects.filter(user=user, code_hash=_hash(code), used_at__isnull=True).update(
            used_at=timezone.now()
        )
    )


def _wrong_code():
    return ApiError("invalid_code", "The code is wrong or was already used.", fields={"code": ["Wrong or used code."]})


def check_code(request, user, code) -> None:
    """Spend one code of the user's (a TOTP code, or else a recovery code), or refuse.

    Wrong codes count against the account like wrong passwords (accounts.throttles), so six digits
    can't be guessed: the account locks for the window long before.
    """
    throttles.check_login_allowed(request, user.username)
    code = _normalize(code)
    with transaction.atomic():
        device = TwoFactor.objects.select_for_update().filter(user=user, confirmed_at__isnull=False).first()
        # A user with only passkeys has no app, but has recovery codes.
        if (device is not None and _take_totp(device, code)) or _take_recovery_code(user, code):
            return
    throttles.note_failed_login(user.username)
    raise _wrong_code()


def mark_session_verified(request) -> None:
    if hasattr(request, "session"):
        request.session[SESSION_VERIFIED] = True


def session_is_verified(request) -> bool:
    return bool(getattr(request, "session", {}).get(SESSION_VERIFIED))


def admin_allowed(request) -> bool:
    """The admin asks a second factor of this browser session from staff who have one, and, with
    TWO_FACTOR_REQUIRED_FOR_STAFF, from every staff member (who must enrol first)."""
    user = request.user
    if not (is_required(user) or is_enabled(user)):
        return True
    return session_is_verified(request)


# --- the challenge between the password and the code ---


def challenge_for(user) -> str:
    """A signed, short-lived note that `user` gave the right password. It names the password's
    hash too, so a password change in between voids it."""
    return signing.dumps({"user": user.pk, "auth": user.get_session_auth_hash()}, salt=_CHALLENGE_SALT)


def user_of_challenge(challenge) -> User:
    expired = ApiError("invalid_challenge", "The sign-in took too long or is not valid; start again.", 400)
    try:
        data = signing.loads(challenge, salt=_CHALLENGE_SALT, max_age=settings.TWO_FACTOR_CHALLENGE_SECONDS)
    except (signing.BadSignature, TypeError):
        raise expired from None
    user = User.objects.filter(pk=data.get("user"), is_active=True).first()
    if user is None or not secrets.compare_digest(user.get_session_auth_hash(), str(data.get("auth"))):
        raise expired
    return user


# --- enrolment, disabling, recovery codes ---


def check_start_enrolment(user) -> None:
    if is_enabled(user):
        raise ApiError("already_enabled", "Two-factor sign-in is already on; turn it off first.", 409)


def do_start_enrolment(user) -> dict:
    """A new secret for the user's authenticator app (not guarding anything until confirmed)."""
    with transaction.atomic():
        check_start_enrolment(user)
        secret = pyotp.random_base32()
        TwoFactor.objects.update_or_create(
            user=user, defaults={"secret": secret, "confirmed_at": None, "last_step": 0, "created_at": timezone.now()}
        )
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=ISSUER)
    return {"secret": secret, "otpauth_url": uri}


def check_confirm_enrolment(user, code) -> TwoFactor:
    device = TwoFactor.objects.select_for_update().filter(user=user).first()
    if device is None:
        raise ApiError("not_enrolling", "Start the enrolment first.", 409)
    if device.confirmed_at is not None:
        raise ApiError("already_enabled", "Two-factor sign-in is already on.", 409)
    if not _take_totp(device, _normalize(code)):
        raise _wrong_code()
    return device


def do_confirm_enrolment(request, user, code) -> list[str]:
    """Switch two-factor on; return the recovery codes, shown this once only."""
    with transaction.atomic():
        device = check_confirm_enrolment(user, code)
        device.confirmed_at = timezone.now()
        device.save(update_fields=["confirmed_at"])
        codes = new_recovery_codes(user)
        emit("user.two_factor_changed", key=user.pk, payload={"user_id": user.pk, "enabled": True}, actor=user)
    mark_session_verified(request)
    return codes


def new_recovery_codes(user) -> list[str]:
    RecoveryCode.objects.filter(user=user).delete()
    codes = [secrets.token_hex(5) for _ in range(RECOVERY_CODE_COUNT)]  # 40 bits each, 10 hex digits
    RecoveryCode.objects.bulk_create([RecoveryCode(user=user, code_hash=_hash(code)) for code in codes])
    return [f"{code[:5]}-{code[5:]}" for code in codes]


def check_proof(request, user, password, code) -> None:
    """Changing the second factor asks for both factors again: a stolen session alone can't."""
    if not isinstance(password, str) or not user.check_password(password):
        throttles.note_failed_login(user.username)
        raise ApiError("invalid", "The password is wrong.", fields={"password": ["The password is wrong."]})
    if not is_enabled(user):
        raise ApiError("not_enabled", "Two-factor sign-in is off.", 409)
    check_code(request, user, code)


def do_disable(request, user, password, code) -> None:
    """Remove the authenticator app. Passkeys stay, and with them the recovery codes."""
    with transaction.atomic():
        check_proof(request, user, password, code)
        if not has_app(user):
            raise ApiError("not_enabled", "No authenticator app is set up.", 409)
        TwoFactor.objects.filter(user=user).delete()
        if not is_enabled(user):
            remove_all(user)
            emit("user.two_factor_changed", key=user.pk, payload={"user_id": user.pk, "enabled": False}, actor=user)


def do_regenerate_recovery_codes(request, user, password, code) -> list[str]:
    with transaction.atomic():
        check_proof(request, user, password, code)
        return new_recovery_codes(user)


def remove_all(user) -> None:
    """Every second factor of the user, and the recovery codes that stand in for them."""
    TwoFactor.objects.filter(user=user).delete()
    Passkey.objects.filter(user=user).delete()
    RecoveryCode.objects.filter(user=user).delete()


def check_reset(user) -> None:
    if not (TwoFactor.objects.filter(user=user).exists() or Passkey.objects.filter(user=user).exists()):
        raise ApiError("not_enabled", f"{user.username} has no two-factor sign-in to reset.", status.HTTP_409_CONFLICT)


def do_reset(user, *, actor=None, reason: str = "") -> None:
    """The recovery path for a user who lost both the phone and the recovery codes: an admin
    removes the second factor (`manage.py reset_two_factor`). Every login of the user ends too,
    since whoever holds the phone may hold a session; the event records who did it and why."""
    from accounts.actions import revoke_logins  # actions builds on this module, not the reverse

    with transaction.atomic():
        check_reset(user)
        remove_all(user)
        revoke_logins(user, Close.UNAUTHENTICATED)
        emit(
            "user.two_factor_reset",
            key=user.pk,
            payload={"user_id": user.pk, "reason": reason, "moderator_id": getattr(actor, "pk", None)},
            actor=actor,
        )
