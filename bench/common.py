"""Shared parts of the benchmarks: a throwaway PostgreSQL database, a real ASGI server, percentiles,
and results saved as JSON beside a plot."""

import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"


def bench_database_url(name):
    """DATABASE_URL with the database renamed, so a benchmark never touches real data."""
    url = urlparse(os.environ["DATABASE_URL"])
    if not url.scheme.startswith("postgres"):
        sys.exit('bench: set DATABASE_URL to PostgreSQL (eval "$(scripts/services/svc env)")')
    return urlunparse(url._replace(path=f"/{name}"))


def bench_env(database, **extra):
    """The environment of a benchmark's server and workers: production settings on a throwaway
    database of its own, quiet logs, and whatever the benchmark adds."""
    return dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="settings.prod",
        SECRET_KEY="bench-only-secret-key-" + "x" * 40,
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="False",
        LOG_LEVEL="WARNING",
        DATABASE_URL=bench_database_url(database),
        **extra,
    )


def recreate_database(url):
    import psycopg

    parsed = urlparse(url)
    admin = urlunparse(parsed._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{parsed.path[1:]}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{parsed.path[1:]}"')


def prepare_group(env, members, prefix):
    """Migrate the bench database; make `members` users with tokens, all in one group.
    Returns (conversation id, tokens)."""
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from knox.models import AuthToken

    from chats import actions

    call_command("migrate", verbosity=0)
    User = get_user_model()
    users = [User.objects.create_user(f"{prefix}{i}", password="x") for i in range(members)]
    group = actions.do_create_conversation(users[0], kind="group", title=prefix, invitees=users[1:])
    return str(group.id), [AuthToken.objects.create(u)[1] for u in users]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def asgi_server(env, server="uvicorn", workers=1):
    """A real server process on a free loopback port; yields its base URL."""
    port = free_port()
    if server == "uvicorn":
        cmd = [
            sys.executable,
            "-m",
            "uvicorn",
            "chatsite.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--log-level",
            "warning",
            "--no-access-log",
        ]
    else:
        cmd = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "chatsite.asgi:application"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env)
    try:
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError(f"{server} did not start on port {port}")
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(15)


def percentile(values, p):
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def summarize(latencies_ms, elapsed_s):
    return {
        "count": len(latencies_ms),
        "p50_ms": round(percentile(latencies_ms, 50), 2),
        "p99_ms": round(percentile(latencies_ms, 99), 2),
        "mean_ms": round(statistics.fmean(latencies_ms), 2) if latencies_ms else None,
        "per_second": round(len(latencies_ms) / elapsed_s, 1) if elapsed_s else None,
    }


def save(name, results, machine_note=""):
    RESULTS.mkdir(parents=True, exist_ok=True)
    payload = {
        "benchmark": name,
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": f"{os.cpu_count()} cores {machine_note}".strip(),
        "results": results,
    }
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(payload, indent=2) + "\n")
    return path


def plot_latency(name, series, title):
    """series: {label: [latency ms, ...]}. A CDF per label, so tails are visible at a glance."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    for label, values in series.items():
        ordered = sorted(values)
        ax.plot(ordered, [i / len(ordered) for i in range(1, len(ordered) + 1)], label=label)
    ax.set_xscale("log")
    ax.set_xlabel("latency (ms, log scale)")
    ax.set_ylabel("fraction of requests")
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    path = RESULTS / f"{name}.png"
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    return path


def prepare_rooms(env, rooms, members, prefix):
    """Migrate the bench database; make `rooms` groups of `members` users each, every user with a
    token. Rows are made in bulk (the members joined before the benchmark, so their join events
    do not matter). Returns [{"id", "tokens", "last"}], where `last` is the room's latest seq."""
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import transaction
    from knox import crypto
    from knox.models import AuthToken
    from knox.settings import CONSTANTS
    from tqdm import tqdm

    from chats import actions
    from chats.backends import get_store
    from chats.models import Membership

    call_command("migrate", verbosity=0)
    User = get_user_model()
    out = []
    for r in tqdm(range(rooms), desc=f"bench: {rooms} rooms of {members}", leave=False):
        with transaction.atomic():
            users = User.objects.bulk_create(
                [User(username=f"{prefix}{r}-{i}", password="!") for i in range(members)]
            )
            room = actions.do_create_conversation(users[0], kind="group", title=f"{prefix}{r}", invitees=[])
            Membership.objects.bulk_create([Membership(conversation=room, user=u) for u in users[1:]])
            tokens = [crypto.create_token_string() for _ in users]
            AuthToken.objects.bulk_create(
                [
                    AuthToken(user=u, digest=crypto.hash_token(t), token_key=t[: CONSTANTS.TOKEN_KEY_LENGTH])
                    for u, t in zip(users, tokens, strict=True)
                ]
            )
        out.append({"id": str(room.id), "tokens": tokens, "last": get_store().latest_seq(room.id)})
    return out


def rss_mb(pid):
    """Resident memory of a process, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


@contextmanager
def server_pool(env, server="uvicorn", workers=1):
    """`workers` server processes on one loopback port, as production would run them on 2 cores:
    uvicorn with uvloop and httptools under its own supervisor, or daphne processes sharing one
    listening socket. Yields (base URL, a function giving the worker pids)."""
    if server == "uvicorn":
        port = free_port()
        cmd = [
            *(sys.executable, "-m", "uvicorn", "chatsite.asgi:application"),
            *("--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)),
            *("--loop", "uvloop", "--http", "httptools", "--ws", "websockets"),
            *("--backlog", "4096", "--log-level", "warning", "--no-access-log"),
        ]
        procs = [subprocess.Popen(cmd, cwd=ROOT, env=env)]

        def pids():
            if workers == 1:
                return [procs[0].pid]
            children = Path(f"/proc/{procs[0].pid}/task/{procs[0].pid}/children").read_text().split()
            return [int(c) for c in children]
    else:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen(4096)
        port = listener.getsockname()[1]
        fd = listener.fileno()
        cmd = [sys.executable, "-m", "daphne", "--fd", str(fd), "-v", "0", "chatsite.asgi:application"]
        procs = [subprocess.Popen(cmd, cwd=ROOT, env=env, pass_fds=[fd]) for _ in range(workers)]
        listener.close()

        def pids():
            return [p.pid for p in procs]

    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).close()
                break
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError(f"{server} did not start on port {port}")
        if server == "uvicorn" and workers > 1:
            while len(pids()) < workers and time.time() < deadline:
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}", pids
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(30)
