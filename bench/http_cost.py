"""What an HTTP request costs the server, beside the previous design: CPU per request, requests a
second and latency, for a health probe, a signed-in read and a REST send, with 1 and 32 clients.

Each tree (this one, and BENCH_PREVIOUS's worktree: bench.previous) is served by one uvicorn worker
on a PostgreSQL database of its own; the CPU is the worker's (all its threads) over the requests.
Rounds alternate the trees' order, so neither always runs on the warmer machine.

    eval "$(scripts/services/svc env)" && .venv/bin/python -m bench.http_cost [--requests 1500] [--rounds 2]

Writes bench/results/http_cost.{json,png}.
"""

import argparse
import statistics

from bench import previous
from bench.common import (
    RESULTS,
    ROOT,
    bench_env,
    cpu_seconds,
    http_load,
    percentile,
    recreate_database,
    run_load,
    save,
    server_processes,
)

CLIENTS = (1, 32)


def requests(group):
    """(name, method, path, body, expected status) of each kind of request measured."""
    send = f"/api/v1/conversations/{group}/messages"
    return [
        ("GET /healthz", "GET", "/healthz", None, 200),
        ("GET /api/v1/me", "GET", "/api/v1/me", None, 200),
        ("POST a message", "POST", send, {"text": "bench message"}, 201),
    ]


def measure(base, pids, tokens, group, total):
    out = {}
    for name, method, path, body, expect in requests(group):
        run_load(http_load(base, method, path, tokens, 4, 100, 30, body, expect))  # warm up
        for clients in CLIENTS:
            before = cpu_seconds(pids())
            latencies, elapsed = run_load(http_load(base, method, path, tokens, clients, total, 120, body, expect))
            cpu = cpu_seconds(pids()) - before
            out[f"{name}, {clients} client(s)"] = {
                "per_second": round(len(latencies) / elapsed, 1),
                "server_cpu_ms_per_request": round(1000 * cpu / len(latencies), 2),
                "p50_ms": round(percentile(latencies, 50), 2),
                "p99_ms": round(percentile(latencies, 99), 2),
            }
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1500, help="requests per kind and number of clients")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    rounds = {}
    with previous.checkout() as old:
        trees = {"chatsite": ROOT, "previous": old}
        stages = {}
        for name, tree in trees.items():
            env = bench_env(f"bench_http_cost_{name}", MESSAGE_RATE_LIMIT="1000000/1s")
            recreate_database(env["DATABASE_URL"])
            group, tokens = previous.prepare(tree, env, kind="group", members=max(CLIENTS), prefix="h")
            stages[name] = env, group, tokens
        for round_ in range(args.rounds):
            for name in list(trees)[:: 1 if round_ % 2 == 0 else -1]:
                env, group, tokens = stages[name]
                with server_processes(env, "uvicorn", 1, cwd=trees[name]) as (base, pids):
                    result = measure(base, pids, tokens, group, args.requests)
                rounds.setdefault(name, []).append(result)
                for kind, row in result.items():
                    print(f"http_cost round {round_ + 1} {name:8} {kind:32} {row}", flush=True)
    results = {"previous": previous.COMMIT, "rounds": rounds, "median": medians(rounds)}
    path = save("http_cost", results, "(one uvicorn worker per tree)")
    plot(results)
    print(f"bench: wrote {path.relative_to(ROOT)} and http_cost.png")


def medians(rounds):
    """Per tree and kind of request, the median of the rounds' figures."""
    out = {}
    for name, results in rounds.items():
        out[name] = {
            kind: {field: statistics.median(r[kind][field] for r in results) for field in results[0][kind]}
            for kind in results[0]
        }
    return out


def plot(results):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    median = results["median"]
    kinds = list(median["chatsite"])
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5))
    for ax, field, label in (
        (axes[0], "server_cpu_ms_per_request", "server CPU per request (ms)"),
        (axes[1], "per_second", "requests a second"),
    ):
        width = 0.4
        for i, name in enumerate(("chatsite", "previous")):
            values = [median[name][kind][field] for kind in kinds]
            bars = ax.barh([k + (i - 0.5) * width for k in range(len(kinds))], values, width, label=name)
            ax.bar_label(bars, fmt="%.1f", fontsize=7)
        ax.set_yticks(range(len(kinds)), kinds, fontsize=7)
        ax.invert_yaxis()
        ax.set_xlabel(label)
        ax.grid(True, axis="x", alpha=0.3)
    axes[0].legend()
    rounds = len(results["rounds"]["chatsite"])
    fig.suptitle(f"HTTP on one worker, medians of {rounds} rounds, beside {results['previous']}")
    fig.tight_layout()
    fig.savefig(RESULTS / "http_cost.png", dpi=100)


if __name__ == "__main__":
    main()
