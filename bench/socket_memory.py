"""Memory an open, authenticated, idle WebSocket holds in a server worker, beside the previous
design in the same run, and where it goes.

For each tree (this one, and BENCH_PREVIOUS's worktree: bench.previous), one server worker as
production runs it, on a PostgreSQL database of its own with rooms of 100 members: WARM sockets
sign in first (a worker's first sockets also pay what is paid once: imports, caches, the pub/sub
connection), then SOCKETS more, each past its hello; once the worker is idle again, the resident
memory it grew by, divided by SOCKETS. The trees take turns, ROUNDS times.

Then this tree with clients that offer permessage-deflate as browsers do, under each
WS_COMPRESSION that compresses (message: each message alone; context: windows kept), and what the
frames the sockets received weigh on the wire either way.

Then this tree once more under tracemalloc (which slows it and adds its own memory, so its total
is not the RSS figure): the lines whose allocations the SOCKETS sockets still hold, per socket.
That is the profile of what an idle socket is made of, for the target of 20 KB.

Needs PostgreSQL and Redis (eval "$(scripts/services/svc env)"). Writes
bench/results/socket_memory.json and .png.

    python -m bench.socket_memory [--sockets 1000] [--warm 200] [--rounds 2] [--top 25]
"""

import argparse
import asyncio
import contextlib
import json
import os
import resource
import signal
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

from bench import previous
from bench.common import RESULTS, ROOT, bench_env, rss_mb, save, server_processes
from bench.ws_load import settle

MEMBERS = 100
SAMPLE_FRAMES = 2000  # frames the sockets received, to weigh compressed each alone or in a stream
# The browsers' case: clients that offer permessage-deflate, under each WS_COMPRESSION that compresses.
COMPRESSION_MODES = ("message", "context")
# Dumps a tracemalloc snapshot on SIGUSR1, in a server started with this directory on PYTHONPATH.
HOOK = """
import os, signal, tracemalloc
if os.environ.get("SOCKET_MEMORY_DUMP"):
    tracemalloc.start(1)
    dumps = []
    def dump(signum, frame):
        dumps.append(1)
        tracemalloc.take_snapshot().dump(f"{os.environ['SOCKET_MEMORY_DUMP']}.{len(dumps)}")
    signal.signal(signal.SIGUSR1, dump)
"""


async def sign_in(url, tokens, compression=None):
    """One socket per token, each past its hello, a hundred at a time."""
    import websockets

    async def one(token):
        socket = await websockets.connect(url, subprotocols=["chatsite.v1"], open_timeout=120, compression=compression)
        await socket.send(json.dumps({"type": "auth", "token": token}))
        frame = {}
        while frame.get("type") != "hello":
            frame = json.loads(await socket.recv())
        return socket

    sockets = []
    for start in range(0, len(tokens), 100):
        sockets += await asyncio.gather(*(one(t) for t in tokens[start : start + 100]))
    return sockets


async def drain(socket, sample=None):
    """Read what the server sends (presence of the others), as a live client does; keep the first
    frames in `sample`, if given."""
    with contextlib.suppress(Exception):  # closed at the end, however it closes
        while True:
            frame = await socket.recv()
            if sample is not None and len(sample) < SAMPLE_FRAMES:
                sample.append(frame)


async def measure(env, tree, tokens, warm, dump=None, compression=None, sample=None):
    """(KB per socket, RSS MB before, after) of one worker serving `tree`. `compression`: what the
    clients offer ("deflate", as browsers do)."""
    with server_processes(env, "uvicorn", 1, cwd=tree) as (base, pids):
        (pid,) = pids()
        url = base.replace("http", "ws", 1) + "/ws/v1/"
        opened = await sign_in(url, tokens[:warm], compression)
        readers = [asyncio.ensure_future(drain(s)) for s in opened]
        await asyncio.to_thread(settle, pids)
        before = rss_mb(pid)
        if dump:
            await snapshot(pid, dump, 1)
        more = await sign_in(url, tokens[warm:], compression)
        readers += [asyncio.ensure_future(drain(s, sample)) for s in more]
        await asyncio.to_thread(settle, pids)
        after = rss_mb(pid)
        if dump:
            await snapshot(pid, dump, 2)
        await asyncio.gather(*(s.close() for s in opened + more), return_exceptions=True)
        await asyncio.gather(*readers)
    return round((after - before) * 1024 / len(more), 1), round(before), round(after)


async def snapshot(pid, dump, n):
    os.kill(pid, signal.SIGUSR1)
    path = Path(f"{dump}.{n}")
    for _ in range(600):  # a large heap takes seconds to walk
        if path.exists() and path.stat().st_size and time.time() - path.stat().st_mtime > 1:
            return
        await asyncio.sleep(0.1)
    raise RuntimeError("the server wrote no tracemalloc snapshot")


def wire_bytes(frames):
    """Mean payload bytes of the sampled frames: as text, compressed each alone (WS_COMPRESSION=
    message) and compressed as one stream (context), with the server's deflate settings."""
    import zlib

    def deflated(encoder, text):
        return len(encoder.compress(text.encode()) + encoder.flush(zlib.Z_SYNC_FLUSH)) - 4  # less the flush's tail

    stream = zlib.compressobj(wbits=-12, memLevel=5)
    sizes = {
        "text": [len(f.encode()) for f in frames],
        "each alone": [deflated(zlib.compressobj(wbits=-12, memLevel=5), f) for f in frames],
        "one stream": [deflated(stream, f) for f in frames],
    }
    return {"frames": len(frames)} | {k: round(sum(v) / max(len(v), 1), 1) for k, v in sizes.items()}


def where(filename):
    """A file's name without this machine's directories."""
    for prefix, shown in (
        (sysconfig.get_paths()["purelib"], ""),
        (sysconfig.get_paths()["stdlib"], "python/"),
        (str(ROOT), ""),
    ):
        if filename.startswith(prefix):
            return shown + filename[len(prefix) :].lstrip("/")
    return Path(filename).name


def profile(dump, sockets, top):
    import linecache
    import tracemalloc

    first, second = tracemalloc.Snapshot.load(f"{dump}.1"), tracemalloc.Snapshot.load(f"{dump}.2")
    stats = second.compare_to(first, "lineno")
    total = sum(s.size_diff for s in stats)
    lines = []
    for stat in stats[:top]:
        frame = stat.traceback[0]
        lines.append(
            {
                "kb_per_socket": round(stat.size_diff / 1024 / sockets, 2),
                "objects_per_socket": round(stat.count_diff / sockets, 1),
                "where": f"{where(frame.filename)}:{frame.lineno}",
                "code": linecache.getline(frame.filename, frame.lineno).strip(),
            }
        )
    return {"traced_kb_per_socket": round(total / 1024 / sockets, 1), "top": lines}


def plot(results):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    top = results["profile"]["top"][::-1]
    fig, (runs, sites) = plt.subplots(1, 2, figsize=(14, 6), gridspec_kw={"width_ratios": [1, 3]})
    bars = dict(results["kb_per_socket"])
    # The browsers' case: this tree with permessage-deflate offered, under each WS_COMPRESSION.
    bars |= {f"deflate\n{mode}": v for mode, v in results.get("browser_kb_per_socket", {}).items()}
    colors = ["tab:blue", "tab:gray", "tab:green", "tab:orange"][: len(bars)]
    runs.bar(list(bars), [min(v) for v in bars.values()], color=colors)
    runs.tick_params(axis="x", labelsize=7)
    runs.axhline(20, color="tab:red", linestyle="--", label="target 20 KB")
    runs.set_ylabel("KB per idle authenticated socket (RSS, best round)")
    runs.legend(loc="upper left")
    sites.barh([f"{t['where']}  {t['code'][:50]}" for t in top], [t["kb_per_socket"] for t in top])
    sites.set_xlabel("KB per socket still held (tracemalloc, this tree)")
    sites.tick_params(axis="y", labelsize=7)
    fig.suptitle(f"An idle socket: {results['sockets']} sockets on one worker, beside {results['previous']}")
    fig.tight_layout()
    fig.savefig(RESULTS / "socket_memory.png", dpi=100)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sockets", type=int, default=1000)
    parser.add_argument("--warm", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    rooms = -(-(args.warm + args.sockets) // MEMBERS)
    results = {"sockets": args.sockets, "warm": args.warm, "previous": previous.COMMIT, "kb_per_socket": {}}
    with previous.checkout() as old, tempfile.TemporaryDirectory() as tmp:
        trees = {"chatsite": ROOT, "previous": old}
        envs, tokens = {}, {}
        for name, tree in trees.items():
            envs[name] = bench_env(f"bench_socket_memory_{name}", WS_AUTH_TIMEOUT="120")
            plan = previous.prepare(tree, envs[name], kind="rooms", rooms=rooms, members=MEMBERS, prefix="m")
            tokens[name] = [t for room in plan for t in room["tokens"]][: args.warm + args.sockets]
        for round_ in range(args.rounds):
            for name in list(trees)[:: 1 if round_ % 2 == 0 else -1]:
                kb, before, after = asyncio.run(measure(envs[name], trees[name], tokens[name], args.warm))
                results["kb_per_socket"].setdefault(name, []).append(kb)
                print(
                    f"socket_memory round {round_ + 1} {name}: {kb} KB per socket ({before} -> {after} MB)", flush=True
                )
        browser = results["browser_kb_per_socket"] = {}
        sample = []
        for round_ in range(args.rounds):
            for mode in COMPRESSION_MODES[:: 1 if round_ % 2 == 0 else -1]:
                env = dict(envs["chatsite"], WS_COMPRESSION=mode)
                kb, _, _ = asyncio.run(measure(env, ROOT, tokens["chatsite"], args.warm, None, "deflate", sample))
                browser.setdefault(mode, []).append(kb)
                said = f"deflate offered, WS_COMPRESSION={mode}: {kb} KB per socket"
                print(f"socket_memory round {round_ + 1} {said}", flush=True)
        results["wire_bytes_per_frame"] = wire_bytes(sample)
        hook = Path(tmp) / "hook"
        hook.mkdir()
        (hook / "sitecustomize.py").write_text(HOOK)
        dump = str(Path(tmp) / "snapshot")
        env = dict(envs["chatsite"], PYTHONPATH=str(hook), SOCKET_MEMORY_DUMP=dump)
        asyncio.run(measure(env, ROOT, tokens["chatsite"], args.warm, dump=dump))
        results["profile"] = profile(dump, args.sockets, args.top)
    print(json.dumps(results["profile"], indent=1)[:4000])
    save("socket_memory", results)
    plot(results)


if __name__ == "__main__":
    sys.exit(main())
