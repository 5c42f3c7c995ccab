"""A real Celery worker (and beat) started by the test, against Redis db of this suite and the
test database."""

import importlib
import signal
import subprocess
import sys
import uuid
from datetime import timedelta

import pytest
import redis
from django.conf import settings
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from streaming.events import emit
from streaming.models import OutboxEvent
from streaming.tasks import trim_outbox
from streaming.tests.conftest import subprocess_env
from testkit.services import ROOT, deadline, require_service, wait_until

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def seed_schedules():
    """What migration 0003 seeds: an earlier transactional test may have flushed it away."""
    from django.apps import apps

    importlib.import_module("streaming.migrations.0003_beat_schedules").seed(apps, None)


@pytest.fixture
def celery(tmp_path):
    """Start `celery -A chatsite <worker|beat>` processes; all are stopped (SIGTERM) afterwards."""
    require_service("redis")
    require_service("postgres")
    redis.Redis.from_url(settings.REDIS_URL).flushdb()  # this suite's own db index: no stale tasks
    procs = []

    def start(*args, **env):
        log = open(tmp_path / f"{args[0]}-{len(procs)}.log", "w")  # noqa: SIM115
        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "chatsite", *args, "--loglevel", "INFO"],
            cwd=ROOT,
            env=subprocess_env(**env),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        procs.append((proc, log))
        return proc

    yield start
    for proc, log in procs:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(deadline())
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def worker_args(queue="celery"):
    return ("worker", "--pool", "solo", "--queues", queue, "--without-mingle", "--without-gossip")


def test_a_worker_runs_a_task_sent_through_redis(celery):
    old = emit("moderation.reported", key="k", payload={})
    OutboxEvent.objects.filter(pk=old.pk).update(sent_at=timezone.now() - timedelta(days=30))
    queue = f"q-{uuid.uuid4().hex[:8]}"
    celery(*worker_args(queue))

    trim_outbox.apply_async(queue=queue)

    wait_until(lambda: not OutboxEvent.objects.filter(pk=old.pk).exists(), "the worker to run the task")


def test_beat_sends_the_database_schedule_to_a_worker(celery):
    # An operator speeds up the seeded safety net from the admin; beat picks the change up from the database.
    seed_schedules()
    task = PeriodicTask.objects.get(name="outbox safety net")
    task.interval, _ = IntervalSchedule.objects.get_or_create(every=1, period=IntervalSchedule.SECONDS)
    task.save()
    straggler = emit("moderation.reported", key="k", payload={})  # committed, never delivered
    OutboxEvent.objects.filter(pk=straggler.pk).update(occurred_at=timezone.now() - timedelta(minutes=5))
    # The worker without Kafka: the safety net delivers in-process.
    celery(*worker_args(), KAFKA_BOOTSTRAP_SERVERS="")
    celery("beat", "--pidfile=", "--max-interval", "1")

    wait_until(lambda: OutboxEvent.objects.get(pk=straggler.pk).sent_at is not None, "beat to send the safety net")
