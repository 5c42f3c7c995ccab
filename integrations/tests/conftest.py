import json

import pytest
from rest_framework.test import APIClient

from testkit.factories import bot_of, group_of


@pytest.fixture
def owner_client(alice):
    client = APIClient()
    client.force_authenticate(alice)
    return client


@pytest.fixture
def bot(alice):
    """alice's bot, with a read and send token: (bot, token)."""
    return bot_of(alice, "echo")


@pytest.fixture
def room(alice, bob, bot):
    """A group of alice (owner), bob and alice's bot."""
    return group_of(alice, bob, bot[0], title="room")


class Receiver:
    """A local HTTP server that plays a bot's endpoint: it checks every request's signature with
    the secret it is given, records what came, and answers from a script (default 200, no body)."""

    def __init__(self):
        import http.server
        import threading

        self.secret = None
        self.received = []  # (verified, headers, parsed body)
        self.answers = []  # (status, JSON body or None), used first to last
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                from integrations import signing

                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                verified = signing.verify(
                    receiver.secret or "",
                    self.headers.get(signing.TIMESTAMP_HEADER, ""),
                    self.headers.get(signing.SIGNATURE_HEADER, ""),
                    raw,
                )
                receiver.received.append((verified, dict(self.headers), json.loads(raw)))
                status, body = receiver.answers.pop(0) if receiver.answers else (200, None)
                if not verified:
                    status, body = 401, None
                data = json.dumps(body).encode() if body is not None else b""
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]  # the receiver is on this machine
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
