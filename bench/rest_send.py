"""REST message send on PostgreSQL: p50, p99 and messages per second, with 1 and 32 clients.

Every client is its own user with its own token, and all send into one group, so the seq
counter of that conversation is contended as in a busy room. The server is a real uvicorn
process on loopback; the load comes from this process.

    eval "$(scripts/services/svc env)" && .venv/bin/python -m bench.rest_send [--requests 2000]
"""

import argparse

from bench.common import (
    ROOT,
    asgi_server,
    bench_env,
    http_load,
    plot_latency,
    prepare_group,
    recreate_database,
    run_load,
    save,
    summarize,
)


async def load(base, conversation_id, tokens, concurrency, total, time_limit):
    """Sends into the group, each client its own member: (latencies ms, elapsed s)."""
    path = f"/api/v1/conversations/{conversation_id}/messages"
    body = {"text": "bench message"}
    return await http_load(base, "POST", path, tokens, concurrency, total, time_limit, body, expect=201)


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
        run_load(load(base, conversation_id, tokens, 4, 50, 30))  # warm up connections and caches
        for level in levels:
            print(f"bench: {args.requests} sends with {level} concurrent client(s) ...", flush=True)
            latencies, elapsed = run_load(load(base, conversation_id, tokens, level, args.requests, args.seconds))
            results[f"{level} client(s)"] = summarize(latencies, elapsed)
            series[f"{level} client(s)"] = latencies
            print(f"bench:   {results[f'{level} client(s)']}", flush=True)
    path = save("rest_send", {"server": f"uvicorn, {args.workers} worker(s)", **results})
    plot = plot_latency("rest_send", series, "REST send latency on PostgreSQL")
    print(f"bench: wrote {path.relative_to(ROOT)} and {plot.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
