import itertools
import os
import subprocess
import sys
import threading
import time
import uuid

import pytest
from confluent_kafka import KafkaException
from django.conf import settings
from django.db import connection

from streaming import bus
from testkit.kafka import SETTLING, _deadline, _left, wait_for_leaders
from testkit.services import ROOT, deadline, wait_until

_ids = itertools.count(1)


@pytest.fixture
def recorder():
    """Register handlers on the bus for one test: `recorder.on("type", fail=N)` records every
    envelope it receives (and raises on the first N)."""

    class Recorder:
        def __init__(self):
            self.seen = []
            self._registered = []

        def on(self, *types, fail=0, error=RuntimeError):
            state = {"left": fail}

            def handler(envelope):
                self.seen.append(envelope)
                if state["left"]:
                    state["left"] -= 1
                    raise error(f"handler failure for {envelope['id']}")

            bus.handles(*types)(handler)
            self._registered.append(handler)
            return handler

        def ids(self):
            return [e["id"] for e in self.seen]

    rec = Recorder()
    yield rec
    for handler in rec._registered:
        bus.unregister(handler)


@pytest.fixture
def embedded(settings):
    """The embedded event bus: handlers in-process after commit, whatever the environment says."""
    settings.KAFKA_BOOTSTRAP_SERVERS = ""
    return settings


# --- Kafka (the `kafka` fixture is testkit.kafka's, shared with the other apps' consumer tests) ---


def watermarks(client, partition, deadline):
    """get_watermark_offsets, retried while the partition's leadership settles."""
    pause = threading.Event()
    while True:
        try:
            return client.get_watermark_offsets(partition, timeout=_left(deadline))
        except KafkaException as exc:
            error = exc.args[0]
            if time.monotonic() > deadline or not (error.code() in SETTLING or error.retriable()):
                raise
        pause.wait(0.1)


def read_topic(topic):
    """Every record of a topic, partition by partition, in offset order: [(partition, key, value, headers)]."""
    from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

    consumer = Consumer(
        {
            "bootstrap.servers": settings.KAFKA_BOOTSTRAP_SERVERS,
            "group.id": f"reader-{uuid.uuid4().hex}",
            "enable.auto.commit": False,
        }
    )
    try:
        deadline = _deadline()
        partitions = wait_for_leaders([topic], consumer, deadline)[topic]
        ends = {p: watermarks(consumer, TopicPartition(topic, p), deadline)[1] for p in partitions}
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions if ends[p]])
        records, deadline = [], _deadline()
        positions = dict.fromkeys(partitions, 0)
        while any(positions[p] < ends[p] for p in partitions) and time.monotonic() < deadline:
            msg = consumer.poll(1.0)
            if msg is None or msg.error():
                continue
            positions[msg.partition()] = msg.offset() + 1
            records.append((msg.partition(), msg.key(), msg.value(), dict(msg.headers() or [])))
        return records
    finally:
        consumer.close()


def read_envelopes(topic):
    import json

    return [json.loads(value) for _, _, value, _ in read_topic(topic)]


# --- subprocesses against the test database ---


def subprocess_env(**extra):
    """The environment of a manage.py/celery child that uses this test's database and settings."""
    db = connection.settings_dict
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="settings.test",
        DATABASE_URL=f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        KAFKA_BOOTSTRAP_SERVERS=settings.KAFKA_BOOTSTRAP_SERVERS,
        KAFKA_TOPIC_PREFIX=settings.KAFKA_TOPIC_PREFIX,
        KAFKA_TOPIC_PARTITIONS=str(settings.KAFKA_TOPIC_PARTITIONS),
        REDIS_URL=settings.REDIS_URL,
        PYTHONUNBUFFERED="1",
    )
    env.update({k: str(v) for k, v in extra.items()})
    return env


def manage(*args, env):
    return subprocess.Popen(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


class Output:
    """The output of a child process, read line by line as it comes (a pipe read only at the end
    cannot show what the child said while it ran)."""

    def __init__(self, proc):
        self.proc = proc
        self.lines = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append(line)

    def wait_for_line(self, text):
        return wait_until(lambda: any(text in line for line in self.lines), f"the line {text!r} from the child")

    def finish(self):
        """Wait for the child's exit and return everything it wrote."""
        self.proc.wait(deadline())
        self._reader.join(deadline())
        return "".join(self.lines)


def wait_for(predicate, timeout=None, interval=0.1):
    deadline = time.monotonic() + (settings.TEST_DEADLINE_SECONDS if timeout is None else timeout)
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()
