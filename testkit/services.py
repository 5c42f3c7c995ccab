"""The real services that `make test` starts, from a test's point of view."""

import asyncio
import importlib.util
import os
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
SVC = ROOT / "scripts" / "services" / "svc"

# setting that must be set -> the service that `make test` starts for it
SERVICE_SETTINGS = {
    "postgres": "DATABASE_URL",
    "redis": "REDIS_URL",
    "redis-cluster": "REDIS_CLUSTER_URL",
    "kafka": "KAFKA_BOOTSTRAP_SERVERS",
    "neo4j": "NEO4J_URL",
    "ferretdb": "MONGO_URL",
    "s3": "STORAGE_URL",
    # No server: pyspark runs in-process; `svc start spark` fetches its Kafka connector jars.
    "spark": "SPARK_JARS_DIR",
}


def require_service(name):
    """Skip when a service is not configured locally; under CI a missing service is a failure."""
    configured = (
        settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
        if name == "postgres"
        else bool(getattr(settings, SERVICE_SETTINGS[name]))
    )
    if name == "spark" and configured:
        # The engine needs pyspark (requirements/spark.txt) and a Java runtime as well.
        configured = importlib.util.find_spec("pyspark") is not None and shutil.which("java") is not None
    if not configured:
        missing(f"{name} is not configured ({SERVICE_SETTINGS[name]}); run the suite with `make test`")


def missing(message):
    """A test's prerequisite is not here: skipped on a developer's machine, a failure under CI."""
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def svc(action, name):
    """Start, stop or restart one of the local services (tests that prove failure handling)."""
    # A start may format and wait for a broker: give it the service scripts' own limits, at least.
    subprocess.run([str(SVC), action, name], check=True, capture_output=True, timeout=max(300, 3 * deadline()))


def run_together(n, work):
    """Start n threads at once; each runs work(i) on its own database connection. Returns the results."""
    barrier = threading.Barrier(n)
    results, errors = [None] * n, []

    def target(i):
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(deadline())
    assert not errors, errors
    return results


# --- waiting: one deadline for every test that waits on a broker, a server or a subprocess ---


def deadline():
    """Seconds a test may wait for something that should happen soon (TEST_DEADLINE_SECONDS).

    Generous on purpose: on a loaded machine a fresh broker or a child process can take many
    seconds, and a passing test never waits the whole of it, since the waits poll."""
    return float(getattr(settings, "TEST_DEADLINE_SECONDS", 60))


def _poll_intervals(first=0.02, longest=0.5):
    interval = first
    while True:
        yield interval
        interval = min(interval * 1.5, longest)


def wait_until(predicate, what, *, seconds=None, seen=None):
    """Poll predicate() until it returns something truthy, and return that. After the deadline
    (TEST_DEADLINE_SECONDS unless `seconds` is given) fail the test, saying what never happened and,
    when `seen` is given, what seen() finds then: a wait that fails once on a loaded machine must
    leave enough behind to tell a race from slowness."""
    limit = deadline() if seconds is None else seconds
    end = time.monotonic() + limit
    for interval in _poll_intervals():
        result = predicate()
        if result:
            return result
        left = end - time.monotonic()
        if left <= 0:
            found = f"; found instead: {seen()}" if seen else ""
            pytest.fail(f"gave up after {limit:g} s (TEST_DEADLINE_SECONDS) waiting for {what}{found}", pytrace=False)
        time.sleep(min(interval, left))


async def async_wait_until(predicate, what, *, seconds=None):
    """wait_until for async tests: predicate may be a plain or an async function."""
    limit = deadline() if seconds is None else seconds
    end = time.monotonic() + limit
    for interval in _poll_intervals():
        result = predicate()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        left = end - time.monotonic()
        if left <= 0:
            pytest.fail(f"gave up after {limit:g} s (TEST_DEADLINE_SECONDS) waiting for {what}", pytrace=False)
        await asyncio.sleep(min(interval, left))


# --- the end of a transactional test, beside a server process that may still be writing ---

DEADLOCK = "40P01"  # PostgreSQL's SQLSTATE for "deadlock detected"


def _is_deadlock(error):
    while error is not None:
        if getattr(error, "sqlstate", None) == DEADLOCK:
            return True
        error = error.__cause__
    return False


def retried_on_deadlock(step):
    """`step` run again while it fails on a deadlock, until the deadline; any other error at once."""

    def run(*args, **kwargs):
        end = time.monotonic() + deadline()
        for interval in _poll_intervals():
            try:
                return step(*args, **kwargs)
            except Exception as error:
                if not _is_deadlock(error) or time.monotonic() + interval > end:
                    raise
            time.sleep(interval)

    run.retried_on_deadlock = True
    return run


def flush_survives_a_deadlock():
    """A transactional test ends by emptying every table (one TRUNCATE). A server process of the
    browser and socket tests may still be finishing the last step's request then (a read mark, a
    notification planned after commit), and PostgreSQL may choose the TRUNCATE as the victim of the
    lock cycle. The other side then finishes alone, so the flush is tried again, instead of failing
    a test whose every step passed."""
    from django.test import TransactionTestCase

    if not getattr(TransactionTestCase._fixture_teardown, "retried_on_deadlock", False):
        TransactionTestCase._fixture_teardown = retried_on_deadlock(TransactionTestCase._fixture_teardown)
