"""Reads of users that the API and other apps share."""

from django.db import connection
from django.db.models import Case, IntegerField, Q, Value, When
from django.db.models.functions import Lower

from accounts.models import Block, User
from chatsite.api_errors import ApiError
from chatsite.strict import valid_id


def get_user(user_id: int, *, include_inactive: bool = False) -> User | None:
    if not valid_id(user_id):
        return None
    users = User.objects.all() if include_inactive else User.objects.filter(is_active=True)
    return users.filter(pk=user_id).first()


def disabled_message(user) -> str:
    """What a disabled account is told when it tries to sign in. A moderator's ban is a one-to-one
    row of the moderation app (reverse name `ban`); any other disabled account was deactivated."""
    if User.objects.filter(pk=user.pk, ban__isnull=False).exists():
        return "This account is banned."
    return "This account is deactivated."


def user_count(*, include_inactive: bool = False) -> int:
    users = User.objects.all() if include_inactive else User.objects.filter(is_active=True)
    return users.count()


# --- blocks: one query each; chats asks on every send ---


def is_bot(user_id: int) -> bool:
    return User.objects.filter(pk=user_id, is_bot=True).exists()


def is_blocked(blocker_id: int, blocked_id: int) -> bool:
    return Block.objects.filter(blocker_id=blocker_id, blocked_id=blocked_id).exists()


def either_blocked(a_id: int, b_id: int) -> bool:
    return Block.objects.filter(Q(blocker_id=a_id, blocked_id=b_id) | Q(blocker_id=b_id, blocked_id=a_id)).exists()


def blocked_ids(user_id: int) -> set[int]:
    """Whom the user blocked."""
    return set(Block.objects.filter(blocker_id=user_id).values_list("blocked_id", flat=True))


def blocker_ids(user_id: int) -> set[int]:
    """Who blocked the user."""
    return set(Block.objects.filter(blocked_id=user_id).values_list("blocker_id", flat=True))


def block_lists(user_id: int) -> tuple[frozenset[int], frozenset[int]]:
    """(whom the user blocked, who blocked the user), in one query: what a socket reads after each
    block or unblock."""
    return _standing(user_id)[1:]


def socket_standing(user_id: int) -> tuple[frozenset[int], frozenset[int]] | None:
    """What a socket reads of its user as it opens, in one statement: None when the account is
    disabled, else its block lists (as block_lists)."""
    active, blocked, blockers = _standing(user_id)
    return (blocked, blockers) if active else None


NOBODY = frozenset()


def _standing(user_id):
    # Plain SQL: on a connect storm the ORM's work to build this (three queries' worth) cost
    # several times the round trip.
    user, block = User._meta.db_table, Block._meta.db_table
    active, blocked, blockers = False, set(), set()
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT 0, NULL FROM {user} WHERE id = %(me)s AND is_active
            UNION ALL SELECT 1, blocked_id FROM {block} WHERE blocker_id = %(me)s
            UNION ALL SELECT 2, blocker_id FROM {block} WHERE blocked_id = %(me)s""",  # noqa: S608  # nosec B608 - table names only
            {"me": user_id},
        )
        for kind, other in cursor.fetchall():
            if kind == 0:
                active = True
            else:
                (blocked if kind == 1 else blockers).add(other)
    # Every open socket keeps both, and most are empty: one shared empty set then (Python has made
    # a new empty frozenset at each call since 3.10, 216 bytes each).
    return active, frozenset(blocked) or NOBODY, frozenset(blockers) or NOBODY


def user_or_404(user_id, *, include_inactive: bool = False) -> User:
    """The user a URL or a body names, or a 404 ApiError: the one way every API finds a user by id
    (ids beyond 64 bits included, which name nobody)."""
    user = get_user(user_id, include_inactive=include_inactive)
    if user is None:
        raise ApiError("not_found", "User not found.", 404)
    return user


def visible_profile(viewer_id: int, user_id: int) -> User:
    """A profile the viewer may see: an active user who has not blocked the viewer (a block hides
    the blocker, as in search). 404 otherwise, so a block is not revealed."""
    user = user_or_404(user_id)
    if is_blocked(user.pk, viewer_id):
        raise ApiError("not_found", "User not found.", 404)
    return user


def search_users(searcher_id: int, q: str, *, limit: int = 20) -> list[User]:
    """Active users whose username or display name starts with `q`, ignoring case.

    Users who blocked the searcher are left out, so a block also hides the blocker. Matches on the
    username come first, then alphabetical. Two queries, whatever the size of the result.
    """
    hidden = blocker_ids(searcher_id)
    users = (
        User.objects.filter(is_active=True)
        .filter(Q(username__istartswith=q) | Q(display_name__istartswith=q))
        .exclude(pk__in=hidden)
        .annotate(
            rank=Case(When(username__istartswith=q, then=Value(0)), default=Value(1), output_field=IntegerField())
        )
        .order_by("rank", Lower("username"), "pk")
    )
    return list(users[:limit])


def active_user_named(username: str) -> User | None:
    """The active user with this username, whatever its case (what a person types after @ or /invite)."""
    return User.objects.filter(username__iexact=username, is_active=True).first()
