"""The suite's own teardown: a transactional test's flush that loses a deadlock to a server process
still writing is tried again, and any other failure of it still fails the test."""

import psycopg.errors
import pytest
from django.core.management.base import CommandError
from django.db import OperationalError
from django.test import TransactionTestCase

from testkit.services import retried_on_deadlock


def failing_with(error, times):
    calls = []

    def step():
        calls.append(1)
        if len(calls) <= times:
            raise error
        return "flushed"

    return step, calls


def flush_error(cause):
    # How Django's flush command reports it: CommandError from OperationalError from psycopg's error.
    try:
        try:
            raise OperationalError("deadlock detected") from cause
        except OperationalError as wrapped:
            raise CommandError("Database test_chatsite couldn't be flushed.") from wrapped
    except CommandError as error:
        return error


def test_a_flush_that_lost_a_deadlock_is_tried_again_until_it_succeeds():
    step, calls = failing_with(flush_error(psycopg.errors.DeadlockDetected("deadlock detected")), times=2)
    assert retried_on_deadlock(step)() == "flushed"
    assert len(calls) == 3


def test_any_other_failure_of_the_flush_fails_at_once():
    step, calls = failing_with(flush_error(psycopg.errors.UndefinedTable("no such table")), times=1)
    with pytest.raises(CommandError):
        retried_on_deadlock(step)()
    assert len(calls) == 1


def test_the_suite_runs_with_the_retrying_teardown():
    assert getattr(TransactionTestCase._fixture_teardown, "retried_on_deadlock", False)
