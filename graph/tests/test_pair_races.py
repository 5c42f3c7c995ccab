"""Two writes about one pair, interleaved on purpose on PostgreSQL: one is paused inside its
transaction while the other runs, so the race happens every time, not once in a thousand.

Exactly one outcome of a pair's race may be visible, in SQL and in the outbox, and the loser gets a
clear refusal (an ApiError), never a half success.
"""

import threading
import time

import pytest
from django.conf import settings
from django.db import connection, transaction
from rest_framework import status

from chatsite.api_errors import ApiError
from graph import actions
from graph.models import Follow, FriendRequest, Friendship
from streaming.models import OutboxEvent
from testkit.services import require_service

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def postgres():
    require_service("postgres")


def wait_for(predicate):
    """Poll until predicate() holds; False once TEST_DEADLINE_SECONDS have passed."""
    deadline = time.monotonic() + settings.TEST_DEADLINE_SECONDS
    pause = threading.Event()  # never set: a poll interval, not a timer the test relies on
    while not predicate():
        if time.monotonic() > deadline:
            return False
        pause.wait(0.02)
    return True


def waits_on_a_lock(pid):
    with connection.cursor() as cursor:
        cursor.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pid])
        row = cursor.fetchone()
    return row is not None and row[0] == "Lock"


class Call(threading.Thread):
    """One action in its own thread and connection; keeps its result or its error."""

    def __init__(self, func):
        super().__init__(daemon=True)
        self.func = func
        self.pid = None
        self.started_work = threading.Event()
        self.result = self.error = None

    def run(self):
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                self.pid = cursor.fetchone()[0]
            self.started_work.set()
            self.result = self.func()
        except Exception as error:
            self.error = error
        finally:
            connection.close()

    def finished(self):
        return not self.is_alive()

    def blocked_or_finished(self):
        return self.finished() or (self.pid is not None and waits_on_a_lock(self.pid))


def interleave(monkeypatch, first, pause_at, second):
    """Run `first` until it calls actions.<pause_at> (inside its transaction), then run `second`
    until it finishes or waits on a lock `first` holds, then let `first` go on. Returns both calls."""
    original = getattr(actions, pause_at)
    reached, resume = threading.Event(), threading.Event()

    def paused(*args, **kwargs):
        if threading.current_thread() is first_call:
            reached.set()
            assert resume.wait(settings.TEST_DEADLINE_SECONDS), "the test never resumed the paused call"
        return original(*args, **kwargs)

    monkeypatch.setattr(actions, pause_at, paused)
    first_call, second_call = Call(first), Call(second)
    first_call.start()
    try:
        assert wait_for(lambda: reached.is_set() or first_call.finished()), "the first call never got there"
        assert reached.is_set(), f"the first call ended without reaching {pause_at}: {first_call.error!r}"
        second_call.start()
        assert second_call.started_work.wait(settings.TEST_DEADLINE_SECONDS)
        assert wait_for(second_call.blocked_or_finished), "the second call neither finished nor waited"
    finally:
        resume.set()
        first_call.join(settings.TEST_DEADLINE_SECONDS)
        second_call.join(settings.TEST_DEADLINE_SECONDS)
    assert first_call.finished() and second_call.finished(), "a call is still running past the deadline"
    return first_call, second_call


def friend_events():
    types = ("graph.friend_accepted", "graph.friend_request_closed")
    return list(OutboxEvent.objects.filter(type__in=types).order_by("occurred_at").values_list("type", flat=True))


def friends(a, b):
    return Friendship.objects.filter(user=a, friend=b).exists() and Friendship.objects.filter(user=b, friend=a).exists()


def refusal(call):
    assert call.error is not None, f"the loser succeeded too: {call.result!r}"
    assert isinstance(call.error, ApiError), f"the loser failed with {call.error!r}, not a refusal"
    return call.error


# Closing a request: the recipient declines it, or the sender cancels it.
CLOSERS = {
    "decline": lambda sender, recipient: actions.do_decline_friend_request(recipient, sender),
    "cancel": lambda sender, recipient: actions.do_cancel_friend_request(sender, recipient),
}


@pytest.mark.parametrize("closer", CLOSERS)
def test_an_accept_that_checked_the_request_wins_over_a_close_that_comes_during_it(monkeypatch, make_user, closer):
    ann, ben = make_user(), make_user()
    actions.do_send_friend_request(ann, ben)

    accept, close = interleave(
        monkeypatch,
        lambda: actions.do_accept_friend_request(ben, ann),
        "_accept",  # the accept has seen the request and is about to turn it into a friendship
        lambda: CLOSERS[closer](ann, ben),
    )

    assert accept.error is None, accept.error
    error = refusal(close)
    assert (error.status_code, error.code) == (status.HTTP_409_CONFLICT, "already_friends")
    assert friends(ann, ben)
    assert not FriendRequest.objects.exists()
    assert friend_events() == ["graph.friend_accepted"]


@pytest.mark.parametrize("closer", CLOSERS)
def test_a_close_that_deleted_the_request_wins_over_an_accept_that_comes_during_it(monkeypatch, make_user, closer):
    ann, ben = make_user(), make_user()
    actions.do_send_friend_request(ann, ben)

    close, accept = interleave(
        monkeypatch,
        lambda: CLOSERS[closer](ann, ben),
        "_emit_request_closed",  # the close deleted the request and has not committed yet
        lambda: actions.do_accept_friend_request(ben, ann),
    )

    assert close.error is None, close.error
    assert close.result is True
    error = refusal(accept)
    assert (error.status_code, error.code) == (status.HTTP_404_NOT_FOUND, "no_request")
    assert not Friendship.objects.exists()
    assert not FriendRequest.objects.exists()
    assert friend_events() == ["graph.friend_request_closed"]


# Every write about a pair, with the state it needs to have something to do.
def _following(a, b):
    Follow.objects.create(follower=a, followee=b)


def _asked(a, b):
    FriendRequest.objects.create(from_user=a, to_user=b)


def _friends(a, b):
    Friendship.objects.create(user=a, friend=b)
    Friendship.objects.create(user=b, friend=a)


def _blocked(a, b):
    actions.do_block(a, b)


PAIR_WRITES = {
    "follow": (None, actions.do_follow),
    "unfollow": (_following, actions.do_unfollow),
    "send_friend_request": (None, actions.do_send_friend_request),
    "accept": (_asked, lambda a, b: actions.do_accept_friend_request(b, a)),
    "decline": (_asked, lambda a, b: actions.do_decline_friend_request(b, a)),
    "cancel": (_asked, actions.do_cancel_friend_request),
    "unfriend": (_friends, actions.do_unfriend),
    "block": (None, actions.do_block),
    "unblock": (_blocked, actions.do_unblock),
}


@pytest.mark.parametrize("write", PAIR_WRITES)
def test_every_write_about_a_pair_waits_for_the_pair_lock(make_user, write):
    setup, action = PAIR_WRITES[write]
    ann, ben = make_user(), make_user()
    if setup:
        setup(ann, ben)
    locked, release = threading.Event(), threading.Event()

    def hold_the_pair():
        with transaction.atomic():
            actions.lock_pair(ann, ben)
            locked.set()
            release.wait(settings.TEST_DEADLINE_SECONDS)

    holder, call = Call(hold_the_pair), Call(lambda: action(ann, ben))
    holder.start()
    try:
        assert locked.wait(settings.TEST_DEADLINE_SECONDS)
        call.start()
        assert call.started_work.wait(settings.TEST_DEADLINE_SECONDS)
        assert wait_for(call.blocked_or_finished)
        assert not call.finished(), f"{write} wrote without taking the pair lock"
    finally:
        release.set()
        holder.join(settings.TEST_DEADLINE_SECONDS)
        call.join(settings.TEST_DEADLINE_SECONDS)
    assert call.error is None, call.error
