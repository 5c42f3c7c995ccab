"""The web role's launcher (chatsite.serve) as real processes: new connections spread over its
workers, a killed worker is replaced while the port keeps answering, and SIGTERM ends every worker
and then the launcher with status 0."""

import http.client
import os
import signal
import statistics
import subprocess  # nosec B404 - starts the project's own launcher
import sys
import time
from collections import Counter
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest

from chatsite import serve
from chatsite.testing_server import ROOT, children, free_port, listening, server_processes, serving_env
from testkit.services import deadline, require_service, wait_until

pytestmark = pytest.mark.services

WORKERS = 3


@pytest.fixture(scope="module")
def env(django_db_setup):
    require_service("postgres")
    require_service("redis")
    return serving_env()


@pytest.fixture(scope="module")
def served(env):
    """(port, worker pids) of a launcher with three workers, started as the tests and the benchmarks
    start it."""
    with server_processes(env, "uvicorn", WORKERS) as (base, pids):
        yield int(base.rsplit(":", 1)[1]), pids


@contextmanager
def launcher(env, tmp_path, *command, workers=WORKERS, sockets=WORKERS, port=None):
    """`python -m chatsite.serve` (or `command`) on `port` or a free one, once its workers serve:
    yields (the process, its port, a function giving what it logged)."""
    port = port or free_port()
    log = tmp_path / "serve.log"
    command = command or ("-m", "chatsite.serve")
    options = ("--port", str(port), "--workers", str(workers), "--no-access-log")
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, *command, *options], cwd=ROOT, env=env, stderr=out)  # nosec B603
    try:
        forked = 0 if workers == 1 else workers  # one worker serves in the launcher's process
        wait_until(lambda: len(children(proc.pid)) == forked and listening(port) == sockets, "the workers listening")
        wait_until(lambda: all(status == 200 for status in get(port, 1)), "an answer")
        yield proc, port, log.read_text
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(deadline())


def get(port, count):
    """The statuses of `count` GET /healthz, each on a fresh connection."""
    statuses = []
    for _ in range(count):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=deadline())
        try:
            conn.request("GET", "/healthz")
            statuses.append(conn.getresponse().status)
        except OSError as exc:
            statuses.append(repr(exc))
        finally:
            conn.close()
    return statuses


def owners(port, pids, state):
    """For each of the port's server-side TCP sockets in `state` ("01" established, "0A" listening),
    the pid of the worker holding it, or None: the kernel's table of TCP sockets matched by inode
    with the workers' open descriptors."""
    inodes = {}
    for pid in pids:
        with suppress(FileNotFoundError):  # a worker that has just ended
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                target = os.readlink(fd)
                if target.startswith("socket:["):
                    inodes[target[len("socket:[") : -1]] = pid
    rows = [row.split() for row in Path("/proc/net/tcp").read_text().splitlines()[1:]]
    return [inodes.get(row[9]) for row in rows if row[1].endswith(f":{port:04X}") and row[3] == state]


def gone(pid):
    """Whether a process has ended: no longer there, or a zombie whose sockets are closed."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def test_new_connections_are_spread_over_every_worker(served):
    port, pids = served
    connections = []
    try:
        for _ in range(48):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=deadline())
            conn.request("GET", "/healthz")
            assert conn.getresponse().read() is not None
            connections.append(conn)  # kept open, so the worker holding it can be found
        held = Counter(owners(port, pids(), "01"))
    finally:
        for conn in connections:
            conn.close()
    assert sum(held.values()) == 48, held
    # A hash over three sockets leaves one of them without any of 48 connections once in 10^8 runs.
    assert set(held) == set(pids()), held


def test_small_responses_are_not_held_back_by_nagle(served):
    """Accepted sockets have TCP_NODELAY: a response written in two parts would otherwise wait for
    the client's delayed acknowledgement (40 ms or more on Linux) on every keep-alive request."""
    port, _ = served
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=deadline())
    took = []
    try:
        for _ in range(21):
            started = time.perf_counter()
            conn.request("GET", "/healthz")
            conn.getresponse().read()
            took.append(time.perf_counter() - started)
    finally:
        conn.close()
    assert statistics.median(took) < 0.03, took


def test_a_killed_worker_is_replaced_and_the_port_keeps_answering(served):
    port, pids = served
    victim = pids()[0]
    os.kill(victim, signal.SIGKILL)
    # Until the kernel has closed the killed worker's socket, connections routed to it are reset;
    # then the other workers' sockets take its share.
    wait_until(lambda: gone(victim) and all(owners(port, pids(), "0A")), "the killed worker's socket closed")
    assert get(port, 12) == [200] * 12
    wait_until(
        lambda: victim not in pids() and len(pids()) == WORKERS and listening(port) == WORKERS,
        "a replacement worker listening",
        seen=lambda: (pids(), listening(port)),
    )
    assert get(port, 12) == [200] * 12


def test_sigterm_ends_the_workers_and_then_the_launcher_with_status_0(env, tmp_path):
    with launcher(env, tmp_path) as (proc, port, _):
        workers = children(proc.pid)
        idle = http.client.HTTPConnection("127.0.0.1", port, timeout=deadline())
        idle.request("GET", "/healthz")
        idle.getresponse().read()  # a keep-alive connection left open does not hold the shutdown up
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(deadline()) == 0
        idle.close()
    assert all(not Path(f"/proc/{pid}").exists() for pid in workers), "a worker outlived the launcher"
    assert listening(port) == 0


def test_sigterm_ends_a_single_worker_server_with_status_0_as_well(env, tmp_path):
    """`--workers 1` serves in the launcher's own process; uvicorn raises the signal again once it
    has shut down, which used to end the process with status 143."""
    with launcher(env, tmp_path, workers=1, sockets=1) as (proc, port, _):
        assert children(proc.pid) == []  # in process: no worker of its own
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(deadline()) == 0
    assert listening(port) == 0


def test_workers_end_when_the_launcher_is_killed_so_a_new_launcher_can_take_the_port(env, tmp_path):
    """SIGKILL lets the launcher pass nothing on; its workers must not live on as orphans holding the
    port's sockets."""
    with launcher(env, tmp_path, workers=2, sockets=2) as (proc, port, _):
        workers = children(proc.pid)
        proc.kill()
        proc.wait(deadline())
        try:
            wait_until(lambda: all(gone(pid) for pid in workers), "the orphaned workers ended", seen=lambda: workers)
        finally:
            for pid in [pid for pid in workers if not gone(pid)]:  # no worker outlives the test
                with suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        assert listening(port) == 0
    with launcher(env, tmp_path, "-m", "chatsite.serve", workers=2, sockets=2, port=port) as (_, _, _):
        assert get(port, 4) == [200] * 4


def test_without_reuseport_balancing_the_workers_share_one_socket_and_say_so(env, tmp_path):
    unbalanced = "import sys, chatsite.serve as s; s.balances = lambda: False; sys.exit(s.main(sys.argv[1:]))"
    with launcher(env, tmp_path, "-c", unbalanced, workers=2, sockets=1) as (_, port, logged):
        assert get(port, 6) == [200] * 6
        assert "share one socket" in logged()


def test_a_port_another_server_listens_on_is_refused_not_shared(env, served):
    """SO_REUSEPORT would let a second launcher's workers join the first one's sockets and take half
    its connections without a word; the second must fail to start instead."""
    port, pids = served
    before = sorted(pids())
    second = subprocess.run(  # nosec B603 - the project's own launcher
        [sys.executable, "-m", "chatsite.serve", "--port", str(port), "--workers", "2"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=deadline(),
        check=False,
    )
    assert second.returncode == 3, second.stderr[-2000:]
    assert "cannot listen" in second.stderr
    assert sorted(pids()) == before
    assert listening(port) == WORKERS


@pytest.mark.parametrize(("setting", "warned"), [("0\n", True), ("1\n", False), (None, False)])
def test_the_log_says_when_a_dying_workers_queued_connections_would_be_reset(tmp_path, caplog, setting, warned):
    """net.ipv4.tcp_migrate_req 0 resets them; 1 hands them to another worker; a kernel without the
    setting (None: no such file) gets no advice it cannot follow."""
    path = tmp_path / "tcp_migrate_req"
    if setting is not None:
        path.write_text(setting)
    serve.logger.addHandler(caplog.handler)  # uvicorn's logging config may stop it short of the root
    try:
        serve.warn_unless_queued_connections_migrate(path)
    finally:
        serve.logger.removeHandler(caplog.handler)
    assert ("tcp_migrate_req is 0" in caplog.text) == warned
