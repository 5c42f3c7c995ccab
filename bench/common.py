"""Shared parts of the benchmarks: a throwaway PostgreSQL database, a real ASGI server, percentiles,
and results saved as JSON beside a plot."""

import asyncio
import json
import os
import statistics
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse, urlunparse

from chatsite.testing_server import (  # noqa: F401 - shared with the e2e tests
    asgi_server,
    database_url,
    free_port,
    server_processes,
)

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
# The services' variables: without them a process runs on the embedded defaults.
SERVICE_VARIABLES = ("DATABASE_URL", "REDIS_URL", "MONGO_URL", "MESSAGE_STORE", "KAFKA_BOOTSTRAP_SERVERS", "NEO4J_URL")


def bench_database_url(name):
    """DATABASE_URL with the database renamed, so a benchmark never touches real data."""
    if not urlparse(os.environ["DATABASE_URL"]).scheme.startswith("postgres"):
        sys.exit('bench: set DATABASE_URL to PostgreSQL (eval "$(scripts/services/svc env)")')
    return database_url(name)


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


def setup_both_stores(database):
    """Django on a throwaway PostgreSQL database and a throwaway MongoDB (FerretDB) database of
    the same name, both empty and migrated: the stage of the benchmarks that compare the stores."""
    if not os.environ.get("MONGO_URL"):
        sys.exit('bench: set MONGO_URL (eval "$(scripts/services/svc env)")')
    os.environ.update(
        DJANGO_SETTINGS_MODULE="settings.test",
        DATABASE_URL=bench_database_url(database),
        MONGO_URL=urlunparse(urlparse(os.environ["MONGO_URL"])._replace(path=f"/{database}")),
    )
    recreate_database(os.environ["DATABASE_URL"])
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from pymongo import MongoClient

    with MongoClient(os.environ["MONGO_URL"]) as client:
        client.drop_database(database)


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
    group = actions.do_create_conversation(users[0], kind="group", title=prefix, member_ids=[u.pk for u in users[1:]])
    return str(group.id), [AuthToken.objects.create(u)[1] for u in users]


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


async def http_load(base, method, path, tokens, concurrency, total, time_limit, body=None, expect=200):
    """`concurrency` clients, client i signed in as tokens[i] on a keep-alive connection of its own,
    each sending `method path` one request after another until `total` were sent or `time_limit`
    seconds passed. A JSON `body` gets a client_id of its own on each request. Returns (latencies
    in ms, elapsed seconds); an answer other than `expect` stops the run. aiohttp, because the load
    shares the cores the server is measured on: httpx cost 3.5 to 4 ms of CPU a request here, about
    what the server spends on a send, and aiohttp 0.2 ms."""
    import aiohttp

    latencies, sent = [], 0
    run = uuid.uuid4().hex[:8]  # client_ids unique across runs, so no send is taken for a retry
    deadline = time.perf_counter() + time_limit

    async def client(worker):
        nonlocal sent
        headers = {"Authorization": f"Token {tokens[worker]}"}
        connector = aiohttp.TCPConnector(limit=1)
        timeout = aiohttp.ClientTimeout(total=30)
        async with aiohttp.ClientSession(headers=headers, connector=connector, timeout=timeout) as http:
            while sent < total and time.perf_counter() < deadline:
                sent += 1
                json_body = None if body is None else {**body, "client_id": f"{run}-{worker}-{sent}"}
                started = time.perf_counter()
                async with http.request(method, base + path, json=json_body) as response:
                    text = await response.text()
                latencies.append((time.perf_counter() - started) * 1000)
                if response.status != expect:
                    raise RuntimeError(f"{method} {path} answered {response.status}: {text[:200]}")

    started = time.perf_counter()
    await asyncio.gather(*(client(i) for i in range(concurrency)))
    return latencies, time.perf_counter() - started


def run_load(coroutine):
    """A load on uvloop, as the WebSocket load processes run."""
    import uvloop

    return uvloop.run(coroutine)


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


def record_targets(entries):
    """Put `entries` into bench/results/targets.json, replacing those of the same names."""
    path = RESULTS / "targets.json"
    targets = json.loads(path.read_text()) if path.exists() else []
    names = {entry["name"] for entry in entries}
    path.write_text(json.dumps([t for t in targets if t["name"] not in names] + entries, indent=2) + "\n")


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
            users = User.objects.bulk_create([User(username=f"{prefix}{r}-{i}", password="!") for i in range(members)])
            room = actions.do_create_conversation(users[0], kind="group", title=f"{prefix}{r}", member_ids=[])
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


def cpu_seconds(pids):
    """User and system CPU time these processes (all their threads) have used so far."""
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def rss_mb(pid):
    """Resident memory of a process, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")
