"""Real ASGI server processes on a free loopback port, for benchmarks and end-to-end tests."""

import os
import signal
import socket
import subprocess  # nosec B404 - starts the project's own servers for tests and benchmarks
import sys
import time
import urllib.request
from contextlib import contextmanager, suppress
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent


def database_url(name):
    """DATABASE_URL with the database renamed (a test or benchmark database of its own)."""
    return urlunparse(urlparse(os.environ["DATABASE_URL"])._replace(path=f"/{name}"))


def serving_env(**extra):
    """The environment of a server process serving this test run: its test database, the test
    Redis from the environment, quiet logs, and what the test adds. A test process may allow
    async-unsafe ORM calls (Playwright's sync API needs it); the server keeps Django's guard."""
    from django.db import connection

    env = {key: value for key, value in os.environ.items() if key != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(
        DJANGO_SETTINGS_MODULE="settings.test",
        DATABASE_URL=database_url(connection.settings_dict["NAME"]),
        LOG_LEVEL="WARNING",
    )
    env.update(extra)
    return env


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def server_processes(env, server="uvicorn", workers=1, app="chatsite.asgi:application", cwd=ROOT):
    """`workers` server processes on one loopback port, as production runs them: the web role's
    launcher (chatsite.serve: uvicorn workers with a SO_REUSEPORT socket each), or daphne processes
    sharing one listening socket. `cwd`: the source tree to serve (a benchmark's baseline serves an
    older checkout; one from before the launcher runs uvicorn's own supervisor, as it shipped).
    Yields (base URL, a function giving the worker pids)."""
    if server == "uvicorn":
        port = free_port()
        options = [
            *("--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)),
            *("--backlog", "4096", "--log-level", "warning", "--no-access-log"),
        ]
        if (Path(cwd) / "chatsite" / "serve.py").exists():
            cmd, sockets = [sys.executable, "-m", "chatsite.serve", "--app", app, *options], workers
        else:
            cmd, sockets = [sys.executable, "-m", "uvicorn", app, *options], 1
            cmd += ["--loop", "uvloop", "--http", "httptools", "--ws", "websockets-sansio"]
        procs = [subprocess.Popen(cmd, cwd=cwd, env=env)]  # nosec B603 - a fixed command line of our own

        def pids():
            if workers == 1:
                return [procs[0].pid]
            return [pid for pid in children(procs[0].pid) if not _resource_tracker(pid)]
    else:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen(4096)
        port, fd = listener.getsockname()[1], listener.fileno()
        cmd = [sys.executable, "-m", "daphne", "--fd", str(fd), "-v", "0", app]
        procs = [subprocess.Popen(cmd, cwd=cwd, env=env, pass_fds=[fd]) for _ in range(workers)]  # nosec B603 - a fixed command line of our own
        listener.close()
        sockets = 1

        def pids():
            return [p.pid for p in procs]

    try:
        # Every worker, not just the first: a SO_REUSEPORT socket gets its share of connections only
        # once it listens, so a load started earlier would land on the workers that were quicker.
        _wait_until_serving(port, procs, server, lambda: len(pids()) >= workers and listening(port) >= sockets)
        yield f"http://127.0.0.1:{port}", pids
    finally:
        _stop(procs, pids)


# How long the servers get to shut down gracefully before they are killed. Closing tens of
# thousands of sockets one by one (bench.ws_hold) takes longer than any test's server needs.
STOP_GRACE_SECONDS = 30


def _stop(procs, pids):
    for proc in procs:
        proc.terminate()
    ends = time.monotonic() + STOP_GRACE_SECONDS
    for proc in procs:
        try:
            proc.wait(max(ends - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            # A launcher's workers first: they are its children, so their pids are still theirs.
            for pid in set(pids()) - {proc.pid}:
                with suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            proc.kill()
            proc.wait()


@contextmanager
def asgi_server(env, server="uvicorn", workers=1):
    """One real server on a free loopback port; yields its base URL."""
    with server_processes(env, server, workers) as (base, _):
        yield base


def children(pid):
    """The pids of a process's children (Linux)."""
    return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def _resource_tracker(pid):
    """Whether a child is multiprocessing's resource tracker, which uvicorn's own supervisor (an older
    tree's server) starts beside its workers, rather than a worker."""
    try:
        return b"resource_tracker" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except FileNotFoundError:
        return False


def listening(port):
    """How many sockets listen on this IPv4 TCP port, whoever owns them."""
    rows = [row.split() for row in Path("/proc/net/tcp").read_text().splitlines()[1:]]
    return sum(1 for row in rows if row[1].endswith(f":{port:04X}") and row[3] == "0A")  # 0A: LISTEN


def _wait_until_serving(port, procs, server, ready):
    # An HTTP answer, not just a TCP accept: daphne's socket is listening before daphne runs.
    # Generous: on a loaded 2-core machine a few daphne processes take over a minute to start.
    deadline = time.time() + 180
    while time.time() < deadline:
        for proc in procs:
            if proc.poll() is not None:
                raise RuntimeError(f"{server} exited with {proc.returncode} before serving")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).close()  # nosec B310 - a fixed http URL on the loopback
            if ready():
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{server} did not start on port {port}")
