"""Reads of users that the API and other apps share."""

from django.db.models import Case, IntegerField, Q, Value, When
from django.db.models.functions import Lower

from accounts.models import User
from graph.selectors import blocker_ids

# The largest primary key the database can hold (a signed 64-bit integer). A bigger id from a URL
# can't name a user, and SQLite or PostgreSQL would raise on it instead of finding nothing.
MAX_ID = 2**63 - 1


def get_user(user_id: int, *, include_inactive: bool = False) -> User | None:
    if not 0 < user_id <= MAX_ID:
        return None
    users = User.objects.all() if include_inactive else User.objects.filter(is_active=True)
    return users.filter(pk=user_id).first()


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
