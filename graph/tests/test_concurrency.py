"""Writes about one pair, racing on PostgreSQL: the pair's row locks keep the rules true."""

import threading

import pytest
from django.db import connection

from accounts.models import Block
from chatsite.api_errors import ApiError
from graph import actions
from graph.models import Follow, FriendRequest, Friendship
from testkit.services import require_service

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

ROUNDS = 15


def race(*calls):
    """Run the calls at the same moment, each in its own thread and connection."""
    barrier = threading.Barrier(len(calls))
    errors = []

    def run(call):
        try:
            barrier.wait()
            call()
        except ApiError:
            pass  # refused by a rule: a legal outcome of the race
        except Exception as error:  # anything else fails the test
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors, errors


@pytest.fixture(autouse=True)
def postgres():
    require_service("postgres")


def test_a_follow_racing_a_block_never_outlives_it(make_user):
    for _ in range(ROUNDS):
        ann, ben = make_user(), make_user()
        race(lambda a=ann, b=ben: actions.do_follow(a, b), lambda a=ann, b=ben: actions.do_block(b, a))
        assert Block.objects.filter(blocker=ben, blocked=ann).exists()
        assert not Follow.objects.filter(follower=ann, followee=ben).exists()


def test_requests_crossing_at_the_same_moment_make_friends(make_user):
    for _ in range(ROUNDS):
        ann, ben = make_user(), make_user()
        race(
            lambda a=ann, b=ben: actions.do_send_friend_request(a, b),
            lambda a=ann, b=ben: actions.do_send_friend_request(b, a),
        )
        assert Friendship.objects.filter(user=ann, friend=ben).exists()
        assert Friendship.objects.filter(user=ben, friend=ann).exists()
        assert not FriendRequest.objects.filter(from_user__in=(ann, ben)).exists()
