"""Reads of the social graph. Each costs one query; chats calls them on every send."""

from django.db.models import Q

from graph.models import Block


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


def blocks_made(user_id: int) -> list[Block]:
    """The user's blocks, newest first, with the blocked user loaded."""
    return list(Block.objects.filter(blocker_id=user_id).select_related("blocked").order_by("-created_at", "-pk"))
