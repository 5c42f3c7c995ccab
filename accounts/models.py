from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.validators import MaxLengthValidator, MinLengthValidator, RegexValidator, URLValidator
from django.db import models
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.crypto import salted_hmac

from accounts.validators import validate_display_name

USERNAME_MIN_LENGTH = 3
USERNAME_MAX_LENGTH = 32
PROFILE_FIELDS = ("display_name", "avatar_url", "bio", "status_text")

# ASCII only: usernames are typed after "@" in mentions, and letters from other scripts that look
# like Latin ones would let one user pass for another.
USERNAME_VALIDATORS = [
    RegexValidator(
        r"\A[A-Za-z0-9_.-]+\Z",
        "Use only letters, digits and _ . - (no spaces, no @).",
        code="invalid_characters",
    ),
    MinLengthValidator(USERNAME_MIN_LENGTH),
    MaxLengthValidator(USERNAME_MAX_LENGTH),
]


class HttpUrlField(models.URLField):
    """A URL that a browser may load as an image: http or https, never javascript:, data: or ftp:."""

    default_validators = [URLValidator(schemes=["http", "https"], message="Enter an http or https URL.")]

    def formfield(self, **kwargs):
        return super().formfield(**{"assume_scheme": "https", **kwargs})


class ChatUserManager(UserManager):
    def get_by_natural_key(self, username):
        # Usernames are unique ignoring case, so "Alice" signs in as "alice".
        return self.get(**{f"{self.model.USERNAME_FIELD}__iexact": username})


class User(AbstractUser):
    """A person with a login. The profile fields live here: one row, no join for a profile."""

    # The column keeps AbstractUser's width; the validators hold the real rule, so that rows made
    # by code that skips validation (tests, scripts) still fit.
    username = models.CharField(
        "username",
        max_length=150,
        unique=True,
        validators=USERNAME_VALIDATORS,
        help_text=f"{USERNAME_MIN_LENGTH} to {USERNAME_MAX_LENGTH} letters, digits or _ . -",
        error_messages={"unique": "A user with that username already exists."},
    )
    display_name = models.CharField(max_length=64, blank=True, validators=[validate_display_name])
    avatar_url = HttpUrlField(max_length=500, blank=True)
    bio = models.CharField(max_length=500, blank=True)
    status_text = models.CharField(max_length=140, blank=True)
    # The uploaded picture's version (a hash of its bytes), "" for none. The bytes belong to the
    # files app (files.avatars); the version lives on this row so that every user payload, lists
    # included, builds its avatar URL from the row it already has: no query per user, and no import
    # of files, which sits above accounts. A new picture is a new version, hence a new URL.
    avatar_version = models.CharField(max_length=32, blank=True, editable=False)
    # Part of the session hash: raising it ends every browser session ("log out everywhere")
    # without touching the password.
    session_epoch = models.PositiveIntegerField(default=0, editable=False)
    # A bot account (accounts.bots): made by `bot_owner`, signs in only with the scoped tokens its
    # owner issues (it has no usable password), and is shown as a bot wherever users are.
    is_bot = models.BooleanField(default=False, editable=False)
    bot_owner = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="+", editable=False
    )

    objects = ChatUserManager()

    class Meta:
        indexes = [models.Index(fields=["display_name"])]
        constraints = [
            models.UniqueConstraint(Upper("username"), name="accounts_user_username_ci_unique"),
        ]

    def __str__(self):
        return self.username

    @property
    def shown_name(self):
        return self.display_name or self.username

    def _get_session_auth_hash(self, secret=None):
        if not self.session_epoch:
            return super()._get_session_auth_hash(secret=secret)
        key_salt = "accounts.User.get_session_auth_hash"
        value = f"{self.password}:{self.session_epoch}"
        return salted_hmac(key_salt, value, secret=secret, algorithm="sha256").hexdigest()


class Device(models.Model):
    """The label a client gave one of its logins ("Pixel 8", "Firefox at work"): one per API token.

    It goes when the token goes (logout, expiry), so the list of a user's devices is always the
    list of their live tokens.
    """

    token = models.OneToOneField("knox.AuthToken", on_delete=models.CASCADE, primary_key=True, related_name="device")
    label = models.CharField(max_length=64)

    def __str__(self):
        return self.label


class Block(models.Model):
    """`blocker` blocked `blocked`: the one source of truth that chats, search and the mirrors read.

    It lives with the accounts because every layer asks it (search, chats, the gateway), while the
    social graph (graph.actions) makes and ends blocks. No reverse accessors on User: other apps
    ask `accounts.selectors`, not the ORM.
    """

    # The unique pair's index serves look-ups by blocker and the (blocked, blocker) index those by
    # blocked, so neither column needs an index of its own.
    blocker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False)
    blocked = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "graph_block"  # where the social graph first made it
        constraints = [
            models.UniqueConstraint(fields=["blocker", "blocked"], name="graph_block_unique_pair"),
            models.CheckConstraint(condition=~models.Q(blocker=models.F("blocked")), name="graph_block_not_self"),
        ]
        indexes = [models.Index(fields=["blocked", "blocker"], name="graph_block_blocked_idx")]

    def __str__(self):
        return f"{self.blocker_id} blocks {self.blocked_id}"


class TwoFactor(models.Model):
    """A user's authenticator app (TOTP, RFC 6238). Enrolment writes the secret; it guards sign-in
    only once `confirmed_at` is set, i.e. after the user proved the app makes the right codes."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="+")
    secret = models.CharField(max_length=64)  # base32, as authenticator apps read it
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # The last time step whose code was accepted: a code seen once (by a shoulder or a proxy log)
    # never works again, not even within its 30 seconds.
    last_step = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "two-factor authenticator"

    def __str__(self):
        return f"two-factor of user {self.user_id}"


class RecoveryCode(models.Model):
    """A one-time code for the day the phone is lost. Only its SHA-256 is kept: the codes are long
    random strings, so a fast hash is enough (nothing to guess from a leaked table)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    code_hash = models.CharField(max_length=64)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "code_hash"], name="accounts_recovery_code_unique")]

    def __str__(self):
        return f"recovery code of user {self.user_id}"


class TokenScope(models.Model):
    """What a bot's API token may do (accounts.bots.SCOPES). A token without a row (a person's
    login) may do all its user may; one with a row only what it lists."""

    token = models.OneToOneField("knox.AuthToken", on_delete=models.CASCADE, primary_key=True, related_name="scope")
    scopes = models.CharField(max_length=64)  # comma-separated, e.g. "read,send"
    label = models.CharField(max_length=64, blank=True)

    def __str__(self):
        return f"{self.label or 'token'}: {self.scopes}"

    @property
    def scope_set(self) -> frozenset[str]:
        return frozenset(filter(None, self.scopes.split(",")))


class Passkey(models.Model):
    """A WebAuthn credential of the user's (a phone, a security key, a laptop's fingerprint
    reader): a second factor, checked by accounts.passkeys. Only its public key is kept."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # base64url of the authenticator's id for it (at most 1023 bytes, WebAuthn level 3)
    credential_id = models.CharField(max_length=1400, unique=True)
    public_key = models.BinaryField()  # COSE-encoded
    # The authenticator's use counter: a count that fails to grow means a cloned authenticator.
    sign_count = models.BigIntegerField(default=0)
    name = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"passkey {self.name!r} of user {self.user_id}"


class OidcIdentity(models.Model):
    """The account an OpenID Connect provider's user signs in to (accounts.oidc): the provider's
    issuer and its stable id of the user (`sub`), never the e-mail, which can change hands."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    issuer = models.CharField(max_length=255)
    subject = models.CharField(max_length=255)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "OpenID Connect identity"
        verbose_name_plural = "OpenID Connect identities"
        constraints = [models.UniqueConstraint(fields=["issuer", "subject"], name="accounts_oidc_identity_unique")]

    def __str__(self):
        return f"{self.issuer} {self.subject} -> user {self.user_id}"
