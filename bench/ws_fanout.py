"""WebSocket fan-out: one sender, N sockets in one conversation, on a real server with Redis.

For each message, the latency from the moment the sender writes its `send` frame to the moment
each socket (the sender's own included) reads the `message.created` event; p50 and p99 over every
(message, socket) pair, and over the time until the last socket of each message had it. Messages
go one at a time: the next leaves when every socket has the last one.

    eval "$(scripts/services/svc env)" && .venv/bin/python -m bench.ws_fanout [--sockets 50 200]
"""

import argparse
import asyncio
import json
import os
import sys
import time

from bench.common import (
    ROOT,
    asgi_server,
    bench_env,
    plot_latency,
    prepare_group,
    recreate_database,
    save,
    summarize,
)


async def open_socket(base, token):
    from websockets.asyncio.client import connect

    ws = await connect(
        f"{base}/ws/v1/", subprotocols=["chatsite.v1", f"token.{token}"], proxy=None, max_queue=None, open_timeout=30
    )
    while json.loads(await ws.recv())["type"] != "presence":  # hello, then the presence snapshot
        pass
    await ws.send(json.dumps({"type": "ping", "id": "live"}))  # the first frame: live from now
    return ws


async def run(base, conversation_id, tokens, sockets, messages, seconds):
    from tqdm import tqdm

    conns = []
    for token in tqdm(tokens[:sockets], desc=f"bench: opening {sockets} sockets", leave=False):
        conns.append(await open_socket(base, token))
    arrivals = {}  # client_id -> [perf_counter at each socket]
    errors = []

    async def read(ws):
        async for text in ws:
            frame = json.loads(text)
            if frame["type"] == "message.created":
                arrivals.setdefault(frame["message"]["client_id"], []).append(time.perf_counter())
            elif frame["type"] == "error":
                errors.append(frame)

    readers = [asyncio.ensure_future(read(ws)) for ws in conns]
    await asyncio.sleep(2)  # presence announcements of the opening sockets settle
    sender = conns[0]
    per_socket, to_last = [], []
    deadline = time.perf_counter() + seconds
    started = time.perf_counter()
    for n in tqdm(range(messages), desc=f"bench: {sockets} sockets", leave=False):
        if time.perf_counter() > deadline:
            break
        client_id = f"f{sockets}-{n}"
        frame = {"type": "send", "id": n, "conversation_id": conversation_id, "client_id": client_id, "text": "x"}
        sent_at = time.perf_counter()
        await sender.send(json.dumps(frame))
        while len(arrivals.get(client_id, ())) < sockets:
            if errors:
                raise RuntimeError(f"the server refused a frame: {errors[0]}")
            closed = next((r for r in readers if r.done()), None)
            if closed is not None:  # e.g. 4503: Redis restarted under the benchmark; run it again
                raise RuntimeError(f"a socket was closed during the run: {closed.exception()!r}")
            if time.perf_counter() - sent_at > 30:
                raise RuntimeError(f"message {n} reached {len(arrivals.get(client_id, ()))} of {sockets} sockets")
            await asyncio.sleep(0.0005)
        times = arrivals.pop(client_id)
        per_socket.extend((t - sent_at) * 1000 for t in times)
        to_last.append((max(times) - sent_at) * 1000)
    elapsed = time.perf_counter() - started
    for reader in readers:
        reader.cancel()
    await asyncio.gather(*readers, return_exceptions=True)
    await asyncio.gather(*(ws.close() for ws in conns), return_exceptions=True)
    return per_socket, to_last, elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sockets", type=int, nargs="+", default=[50, 200])
    parser.add_argument("--messages", type=int, default=200, help="messages per socket count")
    parser.add_argument("--seconds", type=float, default=120, help="time bound per socket count")
    parser.add_argument("--server", choices=["uvicorn", "daphne"], default="uvicorn")
    args = parser.parse_args()
    if not os.environ.get("REDIS_URL"):
        sys.exit('bench: set REDIS_URL (eval "$(scripts/services/svc env)"): fan-out goes through Redis')

    env = bench_env("chatsite_bench_ws", MESSAGE_RATE_LIMIT="1000000/1s", WS_RATE_PER_SECOND="100000")
    print("bench: preparing database chatsite_bench_ws ...", flush=True)
    recreate_database(env["DATABASE_URL"])
    conversation_id, tokens = prepare_group(env, max(args.sockets), "fan")
    results, series = {}, {}
    with asgi_server(env, args.server) as base:
        base = base.replace("http", "ws", 1)
        for sockets in args.sockets:
            per_socket, to_last, elapsed = asyncio.run(
                run(base, conversation_id, tokens, sockets, args.messages, args.seconds)
            )
            label = f"{sockets} sockets"
            results[label] = {
                "messages": len(to_last),
                "each_socket": summarize(per_socket, elapsed),
                "last_socket": summarize(to_last, elapsed),
            }
            series[f"{label}, each socket"] = per_socket
            series[f"{label}, last socket"] = to_last
            print(f"bench:   {label}: {results[label]}", flush=True)
    path = save(
        "ws_fanout",
        {"server": f"{args.server}, 1 process, Redis channel layer; clients in one process", **results},
    )
    plot = plot_latency("ws_fanout", series, f"WebSocket fan-out, send to receipt ({args.server}, Redis)")
    print(f"bench: wrote {path.relative_to(ROOT)} and {plot.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
