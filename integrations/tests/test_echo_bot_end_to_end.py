"""The example bot (scripts/echo_bot.py) against a running server: a person mentions it over the
REST API, the server signs and POSTs the event to the bot's process, and its answer comes back
as the bot's message."""

import os
import socket
import subprocess
import sys

import httpx
import pytest

from testkit.factories import PASSWORD, bot_of, group_of
from testkit.services import ROOT, deadline, wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def accepts(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.fixture
def echo_bot_process():
    procs = []

    def start(port, secret):
        env = {**os.environ, "CHATSITE_WEBHOOK_SECRET": secret}
        script = str(ROOT / "scripts" / "echo_bot.py")
        proc = subprocess.Popen(
            [sys.executable, script, "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        procs.append(proc)
        wait_until(lambda: accepts(port) or proc.poll() is not None, "the echo bot to listen")
        assert proc.poll() is None, proc.stderr.read()
        return proc

    yield start
    for proc in procs:
        proc.terminate()
        proc.wait(deadline())


def test_the_example_echo_bot_answers_a_mention_through_a_running_server(
    live_server, make_user, settings, events_in_process, echo_bot_process
):
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]  # the bot runs on this machine
    alice, bob = make_user("alice"), make_user("bob")
    bot, _ = bot_of(alice, "echo")
    room = group_of(alice, bob, bot, title="room")
    api = f"{live_server.url}/api/v1"

    def login(username):
        answer = httpx.post(f"{api}/auth/login", json={"username": username, "password": PASSWORD})
        return {"Authorization": f"Token {answer.json()['token']}"}

    port = free_port()
    created = httpx.post(
        f"{api}/conversations/{room.id}/outgoing-webhooks",
        json={"bot_id": bot.pk, "url": f"http://127.0.0.1:{port}/", "trigger": "mention"},
        headers=login("alice"),
    )
    assert created.status_code == 201, created.text
    echo_bot_process(port, created.json()["secret"])

    as_bob = login("bob")
    message = {"text": "@echo hello there", "client_id": "e2e-1"}
    sent = httpx.post(f"{api}/conversations/{room.id}/messages", json=message, headers=as_bob)
    assert sent.status_code == 201, sent.text

    def reply():
        page = httpx.get(f"{api}/conversations/{room.id}/messages", headers=as_bob).json()
        return [m["text"] for m in page["results"] if m["sender_id"] == bot.pk]

    assert wait_until(reply, "the echo bot's reply") == ["echo: hello there"]
