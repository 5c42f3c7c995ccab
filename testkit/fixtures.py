"""Fixtures every app's tests may ask for: people, clients, a group, and the message store a test
runs against (once per store for the tests that take `store`, and for EVERY_STORE_MODULES)."""

import itertools
import os
from urllib.parse import urlparse, urlunparse

import pytest
from django.conf import settings
from django.test import override_settings
from rest_framework.test import APIClient

from testkit.factories import PASSWORD, UserFactory, group_of
from testkit.services import flush_survives_a_deadlock, require_service


def pytest_configure(config):
    flush_survives_a_deadlock()


@pytest.fixture
def make_user(db):
    def make(username=None, password=PASSWORD, **fields):
        if username is not None:
            fields["username"] = username
        user = UserFactory.build(**fields)
        user.set_password(password)
        user.save()
        return user

    return make


@pytest.fixture
def client_for():
    """An API client logged in as `user` (None: anonymous)."""

    def make(user):
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return make


@pytest.fixture
def alice(make_user):
    return make_user("alice")


@pytest.fixture
def bob(make_user):
    return make_user("bob")


@pytest.fixture
def carol(make_user):
    return make_user("carol")


@pytest.fixture
def group(alice, bob):
    """alice owns it, bob is a member."""
    return group_of(alice, bob)


# --- which message store a test runs against ---

# API-level modules whose every test also runs against each message store.
EVERY_STORE_MODULES = {"test_messages", "test_reading", "test_blocking", "test_threads", "test_group_commit"}
STORES = ["sql", pytest.param("mongo", marks=pytest.mark.services)]
_mongo_databases = itertools.count(1)


def pytest_generate_tests(metafunc):
    """A test that takes `store`, and every test of EVERY_STORE_MODULES, runs once per store."""
    module = metafunc.module.__name__.rpartition(".")[2]
    if "store" in metafunc.fixturenames or (
        module in EVERY_STORE_MODULES and metafunc.module.__name__.startswith("chats.")
    ):
        metafunc.parametrize("message_store", STORES, indirect=True)


@pytest.fixture
def mongo_url():
    """MONGO_URL pointing to a database of this test's own, dropped afterwards."""
    require_service("ferretdb")
    from pymongo import MongoClient

    name = f"test_mongo_{os.getpid()}_{next(_mongo_databases)}"
    url = urlunparse(urlparse(settings.MONGO_URL)._replace(path=f"/{name}"))
    yield url
    with MongoClient(url) as client:
        client.drop_database(name)


@pytest.fixture(autouse=True)
def message_store(request):
    """The store this test is parametrized with (see pytest_generate_tests); else the configured one."""
    from chats.backends import get_store

    name = getattr(request, "param", None)
    if name is None:
        yield None
        return
    changes = {"MESSAGE_STORE": name}
    if name == "mongo":
        changes["MONGO_URL"] = request.getfixturevalue("mongo_url")
    with override_settings(**changes):
        get_store.cache_clear()
        try:
            yield name
        finally:
            if name == "mongo":
                get_store().close()
            get_store.cache_clear()


@pytest.fixture
def store(message_store):
    from chats.backends import get_store

    return get_store()


# --- which object store a files test runs against ---

FILE_STORES = ["filesystem", pytest.param("s3", marks=pytest.mark.services)]
_s3_prefixes = itertools.count(1)


@pytest.fixture
def file_storage(request, tmp_path, settings):
    """The object store of this test: a folder of its own, or (param "s3", or no param when
    STORAGE_URL names S3) a prefix of its own in the S3 bucket. Returns the adapter."""
    from files.backends import get_storage

    name = getattr(request, "param", None) or ("s3" if settings.STORAGE_URL.startswith("s3://") else "filesystem")
    settings.FILES_ROOT = tmp_path / "files"
    if name == "s3":
        require_service("s3")
        base = settings.STORAGE_URL
        path, _, query = base.partition("?")
        bucket = urlparse(path).path.strip("/").split("/")[0]
        settings.STORAGE_URL = urlunparse(
            urlparse(path)._replace(path=f"/{bucket}/test-{os.getpid()}-{next(_s3_prefixes)}")
        ) + (f"?{query}" if query else "")
    else:
        settings.STORAGE_URL = ""
    get_storage.cache_clear()
    storage = get_storage()
    if name == "s3":
        storage.ensure_bucket()
    yield storage
    get_storage.cache_clear()


@pytest.fixture
def active_spam_model(settings, tmp_path, db):
    """An active spam model, trained on the generated set in a model folder of this test's own."""
    from ml import actions
    from ml.registry import loaded
    from testkit.ml_data import spam_dataset

    settings.ML_MODELS_DIR = tmp_path / "models"
    settings.ML_DATA_DIR = tmp_path / "datasets"
    loaded.forget()
    row, promoted, _ = actions.do_train("spam", data=spam_dataset())
    assert promoted
    loaded.forget()
    yield row
    loaded.forget()


@pytest.fixture
def holding(active_spam_model, settings):
    """The models hold what looks like spam (testkit.ml_data.HELD_TEXT) and reject nothing: the
    generated training set is small, so its scores are less extreme than a real model's."""
    settings.ML_SPAM_HOLD = settings.ML_NEW_SPAM_HOLD = 0.6
    settings.ML_SPAM_REJECT = 1.01
    return active_spam_model


@pytest.fixture
def deliver(db):
    """Hand the unsent outbox to ml's handlers in order, as the relay and a consumer group would
    (inside a test's transaction nothing commits, so the in-process path never runs, and with Kafka
    configured it would not run anyway)."""
    from streaming import bus
    from streaming.models import OutboxEvent

    def run():
        for event in OutboxEvent.objects.filter(sent_at=None).order_by("occurred_at"):
            for handler in bus.handlers_for(event.type, modules=["ml"]):
                handler(event.envelope())
            OutboxEvent.objects.filter(pk=event.pk).update(sent_at=event.occurred_at)

    return run


# --- a bot's endpoint, and the webhook path run in-process (integrations, slash) ---


@pytest.fixture
def receiver(settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]  # the receiver is on this machine
    from testkit.webhooks import Receiver

    found = Receiver()
    yield found
    found.close()


@pytest.fixture
def events_in_process(settings):
    """Domain events handled in this process after commit, and Celery tasks run inline (retries
    too, at once), whatever services the suite has: the webhook path end to end in one test."""
    from chatsite.celery import app

    settings.KAFKA_BOOTSTRAP_SERVERS = ""
    before = app.conf.task_always_eager, app.conf.task_eager_propagates
    # Not propagating: so an eager task's retry runs again at once, as Celery's apply() does.
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, False
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = before
