"""HTTP under ASGI: each request's sync part runs wholly in one thread of a fixed pool, reached in
one crossing from the event loop; streaming responses and bad input are still served as Django
serves them."""

import asyncio
import json
import os
import subprocess
import sys
import threading

import pytest
from asgiref.sync import SyncToAsync
from django.core import signals
from django.http import FileResponse, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from knox.models import AuthToken

from chatsite.asgi import application
from chatsite.http_handler import ThreadedHTTPHandler
from chatsite.tests.test_settings import ROOT
from testkit.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

seen_threads = []  # (what, thread id) of the views below


def where(request):
    seen_threads.append(("view", threading.get_ident()))
    return JsonResponse({"thread": threading.current_thread().name, "method": request.method})


@csrf_exempt
def echo(request):
    return JsonResponse({"got": json.loads(request.body)})


def download(request):
    return FileResponse(iter([b"first ", b"second"]), content_type="text/plain")


urlpatterns = [path("where", where), path("echo", echo), path("download", download)]


@pytest.fixture
def handler(settings):
    settings.ROOT_URLCONF = __name__
    settings.HTTP_THREADS = 2
    made = ThreadedHTTPHandler()
    yield made
    made.threads.shutdown()


async def call(app, method, url, body=b"", headers=(), body_parts=None):
    """One request through an ASGI app in this process: (status, headers, body)."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": url,
        "raw_path": url.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver"), *headers],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    parts = body_parts if body_parts is not None else [{"type": "http.request", "body": body, "more_body": False}]
    messages = []

    async def receive():
        if parts:
            return parts.pop(0)
        await asyncio.Event().wait()  # the client stays connected

    async def send(message):
        messages.append(message)

    await app(scope, receive, send)
    if not messages:
        return None, {}, b""
    start = messages[0]
    return start["status"], dict(start["headers"]), b"".join(m.get("body", b"") for m in messages[1:])


@pytest.fixture
def crossings(monkeypatch):
    """Each hand-over of sync work from the event loop to a thread."""
    seen = []
    real = SyncToAsync.__call__

    def counted(self, *args, **kwargs):
        seen.append(getattr(self.func, "__qualname__", repr(self.func)))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(SyncToAsync, "__call__", counted)
    return seen


async def test_an_api_request_crosses_to_a_thread_once(crossings):
    status, _, body = await call(application, "GET", "/api/v1/me")
    assert status == 401 and json.loads(body)["error"]["code"] == "not_authenticated"
    # Django's own ASGI handler crossed five times (seven with the log line of a 4xx).
    assert crossings == ["ThreadedHTTPHandler._respond"]


@pytest.fixture
def reader_token():
    return AuthToken.objects.create(UserFactory(username="handler-reader"))[1]


async def test_a_signed_in_request_is_answered_with_its_data(reader_token):
    headers = [(b"authorization", f"Token {reader_token}".encode())]
    status, _, body = await call(application, "GET", "/api/v1/me", headers=headers)
    assert status == 200 and json.loads(body)["username"] == "handler-reader"


async def test_the_signals_and_the_view_of_a_request_run_in_one_thread_of_the_pool(handler):
    seen_threads.clear()

    def started(**kwargs):
        seen_threads.append(("started", threading.get_ident()))

    def finished(**kwargs):
        seen_threads.append(("finished", threading.get_ident()))

    signals.request_started.connect(started)
    signals.request_finished.connect(finished)
    try:
        answers = [await call(handler, "GET", "/where") for _ in range(4)]
    finally:
        signals.request_started.disconnect(started)
        signals.request_finished.disconnect(finished)
    assert [status for status, _, _ in answers] == [200] * 4
    for i in range(4):
        request = seen_threads[3 * i : 3 * i + 3]
        assert [what for what, _ in request] == ["started", "view", "finished"]
        assert len({thread for _, thread in request}) == 1
    # The pool's threads serve request after request: no thread is made for each one.
    assert {json.loads(body)["thread"].split("_")[0] for _, _, body in answers} == {"http"}
    assert len({thread for _, thread in seen_threads}) <= 2


async def test_concurrent_requests_share_the_pool_and_all_get_their_answers(handler):
    answers = await asyncio.gather(*(call(handler, "GET", "/where") for _ in range(10)))
    assert [status for status, _, _ in answers] == [200] * 10


async def test_a_body_sent_in_parts_reaches_the_view_whole(handler):
    parts = [
        {"type": "http.request", "body": b'{"text": "hel', "more_body": True},
        {"type": "http.request", "body": b'lo"}', "more_body": False},
    ]
    status, _, body = await call(
        handler, "POST", "/echo", headers=[(b"content-type", b"application/json")], body_parts=parts
    )
    assert status == 200 and json.loads(body) == {"got": {"text": "hello"}}


async def test_a_client_gone_before_its_body_arrived_gets_nothing_and_runs_nothing(handler, crossings):
    parts = [{"type": "http.request", "body": b"{", "more_body": True}, {"type": "http.disconnect"}]
    status, _, _ = await call(handler, "POST", "/echo", body_parts=parts)
    assert status is None and crossings == []


async def test_a_streaming_response_is_sent_whole(handler):
    status, headers, body = await call(handler, "GET", "/download")
    assert status == 200 and headers[b"Content-Type"] == b"text/plain"
    assert body == b"first second"


async def test_an_unknown_path_gets_the_json_error_shape_and_the_server_survives(handler):
    status, _, _ = await call(handler, "GET", "/nowhere")
    assert status == 404
    status, _, _ = await call(handler, "GET", "/where")
    assert status == 200


def test_a_pool_of_no_threads_is_refused_at_start_up():
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "settings.test", "HTTP_THREADS": "0"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1 and "HTTP_THREADS must be at least 1, not 0" in result.stderr
