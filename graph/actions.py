"""Writes to the social graph. Each `do_*` runs its `check_*` itself, inside its transaction.

Every change to a pair of users, undoing ones included, takes both users' row locks first (lower
id first), so that two writes about the same pair never interleave: a block can't miss a follow
committed beside it, and an accept and a decline (or cancel) of one request can't both succeed.
Each `do_*` re-reads what it depends on under those locks, and a write that finds the state changed
under it refuses with an ApiError rather than half succeeding.
"""

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from rest_framework import status

from accounts.models import Block
from accounts.selectors import either_blocked
from chatsite.api_errors import ApiError
from gateway import fanout
from graph.models import Follow, FriendRequest, Friendship, SuggestionDismissal
from streaming.events import emit

User = get_user_model()


def check_block(blocker, blocked) -> None:
    if blocker.pk == blocked.pk:
        raise ApiError("cannot_block_self", "You can't block yourself.", status.HTTP_400_BAD_REQUEST)


def do_block(blocker, blocked) -> tuple[Block, bool]:
    """Block `blocked` for `blocker`; blocking twice is a no-op. Returns (block, created).

    A new block also ends what the pair had: follows both ways, the friendship, pending requests.
    """
    with transaction.atomic():
        lock_pair(blocker, blocked)
        check_block(blocker, blocked)
        # get_or_create survives a concurrent identical block: the loser of the insert race reads
        # the winner's row, and only the winner emits.
        block, created = Block.objects.get_or_create(blocker=blocker, blocked=blocked)
        if created:
            _sever(blocker, blocked)
            emit("graph.blocked", key=blocker.pk, payload=_payload(blocker, blocked), actor=blocker)
            _tell_sockets(blocker, blocked)
    return block, created


def do_unblock(blocker, blocked) -> bool:
    """Remove the block if there is one. Returns whether there was."""
    with transaction.atomic():
        lock_pair(blocker, blocked)
        deleted, _ = Block.objects.filter(blocker=blocker, blocked=blocked).delete()
        if deleted:
            emit("graph.unblocked", key=blocker.pk, payload=_payload(blocker, blocked), actor=blocker)
            _tell_sockets(blocker, blocked)
    return bool(deleted)


def _payload(blocker, blocked):
    return {"blocker_id": blocker.pk, "blocked_id": blocked.pk}


def _tell_sockets(blocker, blocked):
    # Open WebSockets keep both users' block lists; they reload them after commit.
    fanout.blocks_changed_after_commit(blocker.pk, blocked.pk)


def _sever(blocker, blocked):
    """Delete every follow, friendship and request between the two, with an event for each."""
    for follower, followee in ((blocker, blocked), (blocked, blocker)):
        if Follow.objects.filter(follower=follower, followee=followee).delete()[0]:
            _emit_follow("graph.unfollowed", follower, followee, actor=blocker)
    if _delete_friendship(blocker, blocked):
        _emit_pair("graph.unfriended", blocker, blocked)
    for sender, recipient in ((blocker, blocked), (blocked, blocker)):
        if FriendRequest.objects.filter(from_user=sender, to_user=recipient).delete()[0]:
            _emit_request_closed(sender, recipient, "blocked", actor=blocker)


def lock_pair(a, b) -> None:
    """Serialize writes about this pair (no-op on SQLite, whose writers already queue)."""
    list(User.objects.select_for_update().filter(pk__in=(a.pk, b.pk)).order_by("pk").values_list("pk", flat=True))


# --- follows ---


def check_follow(user, target) -> None:
    if user.pk == target.pk:
        raise ApiError("cannot_follow_self", "You can't follow yourself.", status.HTTP_400_BAD_REQUEST)
    _refuse_blocked(user, target)


def do_follow(user, target) -> tuple[Follow, bool]:
    """Follow `target`; following again is a no-op. Returns (follow, created)."""
    with transaction.atomic():
        lock_pair(user, target)
        check_follow(user, target)
        follow, created = Follow.objects.get_or_create(follower=user, followee=target)
        if created:
            _emit_follow("graph.followed", user, target, actor=user)
    return follow, created


def do_unfollow(user, target) -> bool:
    """Stop following `target`. Returns whether `user` was following."""
    with transaction.atomic():
        lock_pair(user, target)
        deleted, _ = Follow.objects.filter(follower=user, followee=target).delete()
        if deleted:
            _emit_follow("graph.unfollowed", user, target, actor=user)
    return bool(deleted)


# --- friends ---


def check_friend_request(user, target) -> None:
    if user.pk == target.pk:
        raise ApiError("cannot_friend_self", "You can't send yourself a friend request.", status.HTTP_400_BAD_REQUEST)
    _refuse_blocked(user, target)
    if Friendship.objects.filter(user=user, friend=target).exists():
        raise ApiError("already_friends", f"You and {target.username} are already friends.", status.HTTP_409_CONFLICT)


def do_send_friend_request(user, target) -> tuple[FriendRequest | Friendship, bool]:
    """Ask `target` to be friends. Returns (request, created), asking twice being a no-op, except
    when `target` had already asked `user`: then the two agree, and this returns (friendship, True).
    """
    with transaction.atomic():
        lock_pair(user, target)
        check_friend_request(user, target)
        if FriendRequest.objects.filter(from_user=target, to_user=user).exists():
            return _accept(user, target), True
        request, created = FriendRequest.objects.get_or_create(from_user=user, to_user=target)
        if created:
            emit(
                "graph.friend_requested",
                key=user.pk,
                payload={"from_id": user.pk, "to_id": target.pk},
                actor=user,
            )
    return request, created


def do_accept_friend_request(user, sender) -> tuple[Friendship, bool]:
    """Accept `sender`'s request. Returns (friendship, created); accepting again is a no-op."""
    with transaction.atomic():
        lock_pair(user, sender)
        existing = Friendship.objects.filter(user=user, friend=sender).first()
        if existing is not None:
            return existing, False
        if not FriendRequest.objects.filter(from_user=sender, to_user=user).exists():
            raise _no_request(sender)
        return _accept(user, sender), True


def _no_request(sender):
    message = f"{sender.username} has not asked you to be friends."
    return ApiError("no_request", message, status.HTTP_404_NOT_FOUND)


def _accept(user, sender):
    # Under the pair lock the request checked just before is still there; if a write ever skipped
    # the lock, refusing here keeps a closed request from turning into a friendship anyway.
    if not FriendRequest.objects.filter(from_user=sender, to_user=user).delete()[0]:
        raise _no_request(sender)
    friendship = Friendship.objects.create(user=user, friend=sender)
    Friendship.objects.create(user=sender, friend=user)
    _emit_pair("graph.friend_accepted", user, sender)
    return friendship


def do_decline_friend_request(user, sender) -> bool:
    """Decline `sender`'s request. Returns whether there was one. The sender is not told.
    Refuses (409 already_friends) when the request was accepted already."""
    return _close_request(sender, user, "declined", actor=user)


def do_cancel_friend_request(user, target) -> bool:
    """Withdraw the request `user` sent to `target`. Returns whether there was one.
    Refuses (409 already_friends) when the request was accepted already."""
    return _close_request(user, target, "cancelled", actor=user)


def _close_request(sender, recipient, reason, *, actor):
    with transaction.atomic():
        lock_pair(sender, recipient)
        deleted, _ = FriendRequest.objects.filter(from_user=sender, to_user=recipient).delete()
        if deleted:
            _emit_request_closed(sender, recipient, reason, actor=actor)
        elif Friendship.objects.filter(user=sender, friend=recipient).exists():
            # An accept got there first (or long before): answering "done" would tell the closer
            # the request is gone when it became a friendship.
            other = recipient if actor.pk == sender.pk else sender
            message = f"You and {other.username} are already friends; unfriend instead."
            raise ApiError("already_friends", message, status.HTTP_409_CONFLICT)
    return bool(deleted)


def do_unfriend(user, friend) -> bool:
    """End the friendship (both rows). Returns whether they were friends. Follows stay as they are."""
    with transaction.atomic():
        lock_pair(user, friend)
        deleted = _delete_friendship(user, friend)
        if deleted:
            _emit_pair("graph.unfriended", user, friend)
    return deleted


def _delete_friendship(a, b):
    deleted, _ = Friendship.objects.filter(Q(user=a, friend=b) | Q(user=b, friend=a)).delete()
    return bool(deleted)


# --- suggestions ---


def check_dismiss_suggestion(user, target) -> None:
    if user.pk == target.pk:
        raise ApiError("cannot_dismiss_self", "You are never suggested to yourself.", status.HTTP_400_BAD_REQUEST)


def do_dismiss_suggestion(user, target) -> tuple[SuggestionDismissal, bool]:
    """`target` is never suggested to `user` again; dismissing twice is a no-op. Returns
    (dismissal, created). Private to the user: no event, nobody is told."""
    with transaction.atomic():
        check_dismiss_suggestion(user, target)
        return SuggestionDismissal.objects.get_or_create(user=user, dismissed=target)


# --- shared ---


def _refuse_blocked(user, target):
    if either_blocked(user.pk, target.pk):
        raise ApiError("blocked", f"You can't connect with {target.username}.", status.HTTP_403_FORBIDDEN)


def _emit_follow(event_type, follower, followee, *, actor):
    payload = {"follower_id": follower.pk, "followee_id": followee.pk}
    emit(event_type, key=follower.pk, payload=payload, actor=actor)


def _emit_pair(event_type, actor, other):
    low, high = sorted((actor.pk, other.pk))
    emit(event_type, key=low, payload={"user_ids": [low, high]}, actor=actor)


def _emit_request_closed(sender, recipient, reason, *, actor):
    payload = {"from_id": sender.pk, "to_id": recipient.pk, "reason": reason}
    emit("graph.friend_request_closed", key=sender.pk, payload=payload, actor=actor)
