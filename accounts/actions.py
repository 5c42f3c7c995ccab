"""Every write to accounts. Each `do_*` runs its `check_*` (validate, authorize) itself, inside its
transaction; `check_login` is the one check with no write of its own (it authenticates)."""

from django.contrib.auth import SESSION_KEY, login, logout, update_session_auth_hash
from django.contrib.auth.backends import AllowAllUsersModelBackend
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from knox.models import AuthToken
from knox.settings import knox_settings
from rest_framework import status

from accounts import passkeys, throttles, two_factor
from accounts.models import PROFILE_FIELDS, Device, User
from accounts.selectors import disabled_message
from accounts.signals import profile_changed
from chatsite.api_errors import ApiError
from gateway import fanout
from gateway.protocol import Close
from streaming.events import emit

USERNAME_TAKEN = "A user with that username already exists."


# --- registration ---


def _identity_errors(username: str, email: str, display_name: str) -> dict[str, list[str]]:
    errors = _field_errors(username=username, email=email, display_name=display_name)
    if "username" not in errors and User.objects.filter(username__iexact=username).exists():
        errors["username"] = [USERNAME_TAKEN]
    return errors


def check_new_identity(username: str, *, display_name: str = "") -> None:
    """The rules of a new account's names, for accounts without a password (bots)."""
    errors = _identity_errors(username, "", display_name)
    if errors:
        raise ApiError("invalid", "The account is not valid.", status.HTTP_400_BAD_REQUEST, errors)


def check_register(username: str, password: str, *, email: str = "", display_name: str = "") -> None:
    errors = _identity_errors(username, email, display_name)
    candidate = User(username=username, email=email, display_name=display_name)
    errors.update(_password_errors("password", password, candidate))
    if errors:
        raise ApiError("invalid", "The registration is not valid.", status.HTTP_400_BAD_REQUEST, errors)


def do_register(username: str, password: str, *, email: str = "", display_name: str = "") -> User:
    check_register(username, password, email=email, display_name=display_name)
    user = User(username=username, email=User.objects.normalize_email(email), display_name=display_name)
    user.set_password(password)
    return do_create_user(user)


def do_create_user(user: User, *, actor=None) -> User:
    """Save a new, already checked user and announce it. The admin's "add user" comes here too."""
    with transaction.atomic():
        try:
            # A savepoint, so that losing the race for a username leaves the caller's transaction usable.
            with transaction.atomic():
                user.save()
        except IntegrityError:
            raise ApiError("invalid", "The registration is not valid.", fields={"username": [USERNAME_TAKEN]}) from None
        emit(
            "user.registered",
            key=user.pk,
            payload={"user_id": user.pk, "username": user.username},
            actor=actor or user,
        )
    return user


# --- sessions and tokens ---


def check_login(request, username: str, password: str) -> User:
    """The user these credentials sign in, or a refusal. Every refusal costs one password hash, like
    a success, so timing tells nothing either: an unknown user hashes a dummy password. The answer
    is the same for an unknown user and a wrong password, so it doesn't tell who has an account.
    Only someone with the right password for a disabled account hears that it is disabled."""
    throttles.check_login_allowed(request, username)
    # AllowAllUsersModelBackend checks the password of inactive users too (one hash), where
    # authenticate() would refuse them and leave a second hash to tell "disabled" apart.
    user = _PASSWORD_CHECK.authenticate(request, username=username, password=password)
    if user is None:
        throttles.note_failed_login(username)
        user_login_failed.send(sender=__name__, credentials={"username": username}, request=request)
        raise ApiError("invalid_credentials", "Wrong username or password.", status.HTTP_400_BAD_REQUEST)
    if not user.is_active:
        raise ApiError("account_disabled", disabled_message(user), status.HTTP_403_FORBIDDEN)
    user.backend = "django.contrib.auth.backends.ModelBackend"
    return user


_PASSWORD_CHECK = AllowAllUsersModelBackend()


def do_login(request, user: User, *, device: str = "", code=None, passkey=None) -> tuple[AuthToken, str]:
    """Issue a token for this device and open a browser session. Returns (token row, token string).

    Every token and session starts here, so this is where a user with two-factor on must also
    pass the second factor: `passkey` (a WebAuthn assertion, as JSON) or else `code` (from the
    authenticator app, or a recovery code)."""
    verified = two_factor.is_enabled(user)
    if verified and passkey is not None:
        passkeys.check_assertion(request, user, passkey)
    elif verified:
        two_factor.check_code(request, user, code)
    with transaction.atomic():
        _make_room_for_token(user)
        instance, token = AuthToken.objects.create(user=user)
        if device:
            Device.objects.create(token=instance, label=device)
    # A user fresh from registration didn't come through authenticate(), so it names no backend;
    # the password it was made with is ModelBackend's.
    login(request, user, backend=getattr(user, "backend", "django.contrib.auth.backends.ModelBackend"))
    if verified:
        two_factor.mark_session_verified(request)
    return instance, token


def _make_room_for_token(user):
    """Keep the user under knox's token limit by dropping the least recently used tokens.

    Knox itself would refuse the login instead, which locks out whoever lost their phones.
    AUTO_REFRESH pushes a token's expiry forward on every use, so the earliest expiry is the
    longest unused.
    """
    now = timezone.now()
    AuthToken.objects.filter(user=user, expiry__lte=now).delete()
    limit = knox_settings.TOKEN_LIMIT_PER_USER
    if limit is None:
        return
    live = AuthToken.objects.filter(Q(expiry__gt=now) | Q(expiry__isnull=True), user=user)
    excess = live.count() - limit + 1
    if excess > 0:
        oldest = live.order_by(F("expiry").asc(nulls_last=True), "created").values_list("pk", flat=True)[:excess]
        AuthToken.objects.filter(pk__in=list(oldest)).delete()


def do_logout(request) -> None:
    """End this device: its token if it sent one, and its session if it has one, and close the
    sockets that were opened with either."""
    user = request.user
    with transaction.atomic():
        for credential in _credentials_of(request):
            fanout.disconnect_user_after_commit(user.pk, Close.UNAUTHENTICATED, only=credential)
        if isinstance(request.auth, AuthToken):
            request.auth.delete()
    logout(request)


def _credentials_of(request) -> list[str]:
    """How this request signed in, as the gateway names it on the sockets opened the same way."""
    found = []
    if isinstance(request.auth, AuthToken):
        found.append(fanout.credential_of_token(request.auth.token_key))
    if request.session.session_key and request.session.get(SESSION_KEY):
        found.append(fanout.credential_of_session(request.session.session_key))
    return found


def do_logout_all(request) -> None:
    """End every token and every browser session of the user, this one included."""
    with transaction.atomic():
        revoke_logins(request.user, Close.UNAUTHENTICATED)
    logout(request)


def revoke_logins(user: User, close_code: int) -> None:
    """End every token and browser session of the user, and close their open sockets with
    `close_code` after commit (a socket checks its credentials only when it opens)."""
    AuthToken.objects.filter(user=user).delete()
    User.objects.filter(pk=user.pk).update(session_epoch=F("session_epoch") + 1)
    fanout.disconnect_user_after_commit(user.pk, close_code)


# --- password ---


def check_change_password(user: User, old_password: str, new_password: str) -> None:
    if not user.check_password(old_password):
        raise ApiError(
            "invalid", "The password change is not valid.", fields={"old_password": ["The password is wrong."]}
        )
    errors = _password_errors("new_password", new_password, user)
    if errors:
        raise ApiError("invalid", "The password change is not valid.", fields=errors)


def do_change_password(request, old_password: str, new_password: str) -> None:
    """Set the password and sign out every other device, closing their open sockets; the one
    asking stays signed in, and so does its socket."""
    user = request.user
    asking = _credentials_of(request)[:1]  # its token if it sent one, else its session
    with transaction.atomic():
        check_change_password(user, old_password, new_password)
        user.set_password(new_password)
        user.save(update_fields=["password"])
        others = AuthToken.objects.filter(user=user)
        if isinstance(request.auth, AuthToken):
            others = others.exclude(pk=request.auth.pk)
        others.delete()
        fanout.disconnect_user_after_commit(user.pk, Close.UNAUTHENTICATED, keep=asking[0] if asking else None)
    # The new password changes the session hash, which ends every session; renew this one's, if
    # this request came with one, rather than create a session for a token client.
    if request.session.get(SESSION_KEY) == str(user.pk):
        update_session_auth_hash(request, user)


# --- profile ---


def check_update_profile(user: User, changes: dict) -> None:
    unknown = sorted(set(changes) - set(PROFILE_FIELDS))
    if unknown:
        raise ApiError("unknown_fields", f"These fields can't be changed here: {', '.join(unknown)}.")
    errors = _field_errors(**changes)
    if errors:
        raise ApiError("invalid", "The profile is not valid.", fields=errors)


def do_update_profile(user: User, changes: dict, *, actor=None) -> dict:
    """Save the profile fields that differ from the stored row; return them (empty: nothing changed).

    Compared with the row, not with `user`, so that a caller holding an instance it already
    edited (the admin's form) still gets the event.
    """
    with transaction.atomic():
        check_update_profile(user, changes)
        stored = User.objects.select_for_update().filter(pk=user.pk).values(*changes).get() if changes else {}
        changed = {name: value for name, value in changes.items() if stored[name] != value}
        if not changed:
            return {}
        for name, value in changed.items():
            setattr(user, name, value)
        user.save(update_fields=list(changed))
        emit("user.updated", key=user.pk, payload={"user_id": user.pk, "changed": changed}, actor=actor or user)
        _announce_after_commit(user.pk, list(changed))
    return changed


def check_set_avatar(user: User, version: str) -> None:
    if not isinstance(version, str) or len(version) > User._meta.get_field("avatar_version").max_length:
        raise ValueError(f"not a picture version: {version!r}")  # made by files.avatars, never by a person


def do_set_avatar(user: User, version: str, *, actor=None) -> str:
    """Point the profile at an uploaded picture's `version` ("" for none); return the version it
    replaced ("" if none). The caller (files.actions) has stored the new bytes; the old ones are
    removed after commit by the receiver of profile_changed, so a rollback keeps them."""
    with transaction.atomic():
        check_set_avatar(user, version)
        previous = User.objects.select_for_update().filter(pk=user.pk).values_list("avatar_version", flat=True).get()
        user.avatar_version = version
        if previous == version:
            return ""
        User.objects.filter(pk=user.pk).update(avatar_version=version)
        changed = {"avatar_version": version or None}
        emit("user.updated", key=user.pk, payload={"user_id": user.pk, "changed": changed}, actor=actor or user)
        _announce_after_commit(user.pk, ["avatar_version"], dropped_avatar=previous)
    return previous


def do_remove_avatar(user: User, *, actor=None) -> str:
    """The user, or a moderator as `actor`, removes the picture: initials are shown again."""
    return do_set_avatar(user, "", actor=actor)


def _announce_after_commit(user_id, changed, *, dropped_avatar=""):
    transaction.on_commit(
        lambda: profile_changed.send(sender=User, user_id=user_id, changed=changed, dropped_avatar=dropped_avatar)
    )


# --- helpers ---


def _field_errors(**values) -> dict[str, list[str]]:
    """The model's own rules (length, format) for each value, as {field: [messages]}."""
    errors = {}
    for name, value in values.items():
        try:
            User._meta.get_field(name).clean(value, None)
        except ValidationError as exc:
            errors[name] = list(exc.messages)
    return errors


def _password_errors(field: str, password: str, user: User) -> dict[str, list[str]]:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        return {field: list(exc.messages)}
    return {}
