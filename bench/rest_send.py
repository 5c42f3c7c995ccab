"""REST message send on PostgreSQL: p50, p99 and messages per second, with 1 and 32 clients.

Every client is its own user with its own token, and all send into one group, so the seq
counter of that conversation is contended as in a busy room. The server is a real uvicorn
process on loopback; the load comes from this process.

    eval "$(scripts/services/svc env)" && .venv/bin/python -m bench.rest_send [--requests 2000]
"""

import argparse
import asyncio
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


async def load(base, conversation_id, tokens, concurrency, total, time_limit):
    """Each client its own user on a keep-alive connection of its own, sending one message after
    another. aiohttp, because the load must not take the cores the server is measured on: httpx
    cost this process 3.5 to 4 ms of CPU a request, about what the server spends on a send."""
    import aiohttp

    latencies, sent = [], 0
    url = f"{base}/api/v1/conversations/{conversation_id}/messages"
    deadline = time.perf_counter() + time_limit

    async def client(token, worker):
        nonlocal sent
        headers = {"Authorization": f"Token {token}"}
        connector = aiohttp.TCPConnector(limit=1)
        timeout = aiohttp.ClientTimeout(total=30)
        async with aiohttp.ClientSession(headers=headers, connector=connector, timeout=timeout) as http:
            n = 0
            while sent < total and time.perf_counter() < deadline:
                sent += 1
                n += 1
                started = time.perf_counter()
                body = {"client_id": f"w{concurrency}-{worker}-{n}", "text": "bench message"}
                async with http.post(url, json=body) as response:
                    text = await response.text()
                latencies.append((time.perf_counter() - started) * 1000)
                if response.status != 201:
                    raise RuntimeError(f"send answered {response.status}: {text[:200]}")

    started = time.perf_counter()
    await asyncio.gather(*(client(tokens[i], i) for i in range(concurrency)))
    return latencies, time.perf_counter() - started


def run(coroutine):
    """A load on uvloop, as the WebSocket load processes run."""
    import uvloop

    return uvloop.run(coroutine)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="sends per concurrency level")
    parser.add_argument("--seconds", type=float, default=60, help="time bound per concurrency level")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    args = parser.parse_args()

    levels = [1, 32]
    env = bench_env("chatsite_bench", MESSAGE_RATE_LIMIT="1000000/1s")
    print("bench: preparing database chatsite_bench ...", flush=True)
    recreate_database(env["DATABASE_URL"])
    conversation_id, tokens = prepare_group(env, max(levels), "bench")
    results, series = {}, {}
    with asgi_server(env, "uvicorn", workers=args.workers) as base:
        run(load(base, conversation_id, tokens, 4, 50, 30))  # warm up connections and caches
        for level in levels:
            print(f"bench: {args.requests} sends with {level} concurrent client(s) ...", flush=True)
            latencies, elapsed = run(load(base, conversation_id, tokens, level, args.requests, args.seconds))
            results[f"{level} client(s)"] = summarize(latencies, elapsed)
            series[f"{level} client(s)"] = latencies
            print(f"bench:   {results[f'{level} client(s)']}", flush=True)
    path = save("rest_send", {"server": f"uvicorn, {args.workers} worker(s)", **results})
    plot = plot_latency("rest_send", series, "REST send latency on PostgreSQL")
    print(f"bench: wrote {path.relative_to(ROOT)} and {plot.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
