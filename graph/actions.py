"""Writes to the social graph. Callers run `check_*`, then `do_*`."""

from django.db import transaction
from rest_framework import status

from chatsite.api_errors import ApiError
from graph.models import Block
from streaming.events import emit


def check_block(blocker, blocked) -> None:
    if blocker.pk == blocked.pk:
        raise ApiError("cannot_block_self", "You can't block yourself.", status.HTTP_400_BAD_REQUEST)


def do_block(blocker, blocked) -> tuple[Block, bool]:
    """Block `blocked` for `blocker`; blocking twice is a no-op. Returns (block, created)."""
    with transaction.atomic():
        # get_or_create survives a concurrent identical block: the loser of the insert race reads
        # the winner's row, and only the winner emits.
        block, created = Block.objects.get_or_create(blocker=blocker, blocked=blocked)
        if created:
            emit("graph.blocked", key=blocker.pk, payload=_payload(blocker, blocked), actor=blocker)
    return block, created


def do_unblock(blocker, blocked) -> bool:
    """Remove the block if there is one. Returns whether there was."""
    with transaction.atomic():
        deleted, _ = Block.objects.filter(blocker=blocker, blocked=blocked).delete()
        if deleted:
            emit("graph.unblocked", key=blocker.pk, payload=_payload(blocker, blocked), actor=blocker)
    return bool(deleted)


def _payload(blocker, blocked):
    return {"blocker_id": blocker.pk, "blocked_id": blocked.pk}
