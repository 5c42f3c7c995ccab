"""The real services that `make test` starts, from a test's point of view."""

import os
import subprocess
import threading
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
    "kafka": "KAFKA_BOOTSTRAP_SERVERS",
    "neo4j": "NEO4J_URL",
    "ferretdb": "MONGO_URL",
}


def require_service(name):
    """Skip when a service is not configured locally; under CI a missing service is a failure."""
    configured = (
        settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
        if name == "postgres"
        else bool(getattr(settings, SERVICE_SETTINGS[name]))
    )
    if not configured:
        message = f"{name} is not configured ({SERVICE_SETTINGS[name]}); run the suite with `make test`"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def svc(action, name):
    """Start, stop or restart one of the local services (tests that prove failure handling)."""
    subprocess.run([str(SVC), action, name], check=True, capture_output=True, timeout=180)


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
        t.join(60)
    assert not errors, errors
    return results
