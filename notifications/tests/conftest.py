import pytest

from chatsite.celery import app as celery_app
from notifications import vapid
from notifications.backends.base import reset_clients
from notifications.tests.servers import WebPushServer, self_signed
from streaming import bus
from streaming.models import OutboxEvent


@pytest.fixture(autouse=True)
def own_vapid_key(settings, tmp_path):
    """Each test makes (and keeps, in its own folder) the server's VAPID key, as the embedded default."""
    settings.VAPID_PRIVATE_KEY = ""
    settings.VAPID_KEY_FILE = tmp_path / "vapid" / "private.pem"
    yield
    vapid._key.cache_clear()


@pytest.fixture(autouse=True)
def tasks_in_process():
    """Celery tasks run in this process (the embedded default), also when REDIS_URL is set: the
    tests check what a task does, not the broker, which streaming's tests cover."""
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = before


@pytest.fixture(scope="session")
def tls_cert(tmp_path_factory):
    return self_signed(str(tmp_path_factory.mktemp("tls")))


@pytest.fixture
def trust_test_servers(settings, tls_cert):
    settings.NOTIFY_CA_BUNDLE = tls_cert[0]
    reset_clients()
    yield
    reset_clients()


@pytest.fixture
def push_server(tls_cert, trust_test_servers):
    server = WebPushServer(tls_cert, vapid.public_key())
    yield server
    server.close()


@pytest.fixture
def deliver(db, django_capture_on_commit_callbacks):
    """Hand the unsent outbox to the notifications handlers, as the `notifications` consumer group
    would (once per event: a second call redelivers nothing new unless `again` is set), then run
    what they scheduled after commit (the delivery tasks, in process)."""

    def run(again=False):
        events = OutboxEvent.objects.order_by("occurred_at")
        if not again:
            events = events.filter(sent_at=None)
        with django_capture_on_commit_callbacks(execute=True):
            for event in events:
                bus.handle_once("notifications", event.envelope(), modules=["notifications"])
                OutboxEvent.objects.filter(pk=event.pk).update(sent_at=event.occurred_at)

    return run


@pytest.fixture
def fcm_server(tls_cert, trust_test_servers, settings, tmp_path):
    from notifications.backends import fcm
    from notifications.tests.servers import FcmServer, service_account_file

    server = FcmServer(tls_cert)
    path, server.public_key = service_account_file(str(tmp_path), f"{server.origin}/token")
    settings.FCM_SERVICE_ACCOUNT_FILE = path
    settings.FCM_ENDPOINT = server.origin
    fcm.forget_token()
    yield server
    fcm.forget_token()
    server.close()


@pytest.fixture
def apns_server(tls_cert, trust_test_servers, settings, tmp_path):
    from notifications.backends import apns
    from notifications.tests.servers import ApnsServer, apns_key_file

    path, public_key = apns_key_file(str(tmp_path))
    settings.APNS_KEY_FILE, settings.APNS_KEY_ID, settings.APNS_TEAM_ID = path, "TESTKEY123", "TEAM456789"
    settings.APNS_TOPIC = "org.chatsite.ios"
    server = ApnsServer(tls_cert, public_key, key_id="TESTKEY123", team_id="TEAM456789", topic="org.chatsite.ios")
    settings.APNS_ENDPOINT = server.origin
    apns.forget_token()
    apns.reset_client()
    yield server
    apns.reset_client()
    apns.forget_token()
    server.close()


@pytest.fixture
def twilio_server(tls_cert, trust_test_servers, settings):
    from notifications.tests.servers import TwilioServer

    server = TwilioServer(tls_cert)
    settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN = server.ACCOUNT_SID, server.AUTH_TOKEN
    settings.TWILIO_FROM = "+15550001111"
    settings.TWILIO_API_BASE = server.origin
    yield server
    server.close()
