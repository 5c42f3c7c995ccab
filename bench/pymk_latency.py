"""People you may know: the request path's latency at 10,000 users, on PostgreSQL and on Neo4j.

`python -m bench.pymk --latency`. A power-law graph (networkx.powerlaw_cluster_graph(10000, 5, 0.3),
fixed seed: hubs of several hundred friends) is written into a throwaway PostgreSQL database and
copied into the Neo4j space "pymk". For each adapter in turn:

1. the batch (graph.batch) walks that adapter for 500 sampled users and stores their candidates
   (only those users: the whole graph would take the nightly run's hour, and the request path of
   one user reads only that user's rows, so the other users' rows would not change what is timed);
2. every sampled user then makes one new friendship, so each request also merges a fresh one;
3. graph.selectors.suggestions (limit 10, profiles included) is timed for the 500 users, beside
   the live walk it replaces (the adapter's own query) on the same users, the batch's cost per user,
   and the machine's floor in the same minutes (one primary-key read): on a shared, loaded machine
   that floor says how much of a latency is the machine's.
"""

import random
import time

from bench.common import RESULTS, ROOT, bench_database_url, recreate_database, save, summarize
from bench.graph_suggestions import setup_django

USERS = 10_000
SAMPLE = 500
WARM = 50
SEED = 25
GOAL_MS = 20


def fresh_friendships(ids, users, rng):
    """One new friendship per sampled user, with someone they are not friends with; returns the rows."""
    from graph.models import Friendship

    everyone = list(ids.values())
    rows = []
    for user in users:
        me = ids[user]
        mine = set(Friendship.objects.filter(user_id=me).values_list("friend_id", flat=True))
        other = rng.choice([u for u in rng.sample(everyone, 20) if u != me and u not in mine])
        rows += [Friendship(user_id=me, friend_id=other), Friendship(user_id=other, friend_id=me)]
    return Friendship.objects.bulk_create(rows, ignore_conflicts=True)


def timed(call, users):
    for user in users[:WARM]:
        call(user)
    latencies = []
    started = time.perf_counter()
    for user in users:
        t = time.perf_counter()
        call(user)
        latencies.append((time.perf_counter() - t) * 1000)
    return summarize(latencies, time.perf_counter() - started)


def stage(label, backend, ids, users, rng):
    from django.conf import settings

    from graph import batch, selectors
    from graph.models import Friendship, StoredSuggestion, SuggestionRun

    StoredSuggestion.objects.all().delete()
    SuggestionRun.objects.all().delete()
    started = time.perf_counter()
    batch.compute_for([ids[u] for u in users], backend=backend, model=None)  # the adapter's walk
    batch_ms = (time.perf_counter() - started) * 1000 / len(users)
    fresh = fresh_friendships(ids, users, rng)
    settings.GRAPH_BACKEND = backend.name
    result = {
        "batch_ms_per_user": round(batch_ms, 1),
        # The machine's floor in the same minutes: one primary-key read, nothing else.
        "floor: one primary-key SELECT": timed(lambda u: SuggestionRun.objects.filter(pk=ids[u]).exists(), users),
        "selector (stored + fresh merge)": timed(lambda u: selectors.suggestions(ids[u], limit=10), users),
        "live walk (the previous request path)": timed(lambda u: backend.suggestions(ids[u], 10), users),
    }
    Friendship.objects.filter(pk__in=[row.pk for row in fresh if row.pk]).delete()
    print(f"bench: latency {label}: {result}", flush=True)
    return result


def main(use_neo4j):
    import networkx as nx

    env = {
        "DJANGO_SETTINGS_MODULE": "settings.dev",
        "DEBUG": "False",
        "LOG_LEVEL": "WARNING",
        "DATABASE_URL": bench_database_url("chatsite_bench_pymk"),
        "GRAPH_NEO4J_SPACE": "pymk",
    }
    recreate_database(env["DATABASE_URL"])
    setup_django(env)
    from django.core.management import call_command

    from bench.pymk import copy_to_neo4j, load
    from graph.backends.neo4j_nodes import drop_space
    from graph.backends.sql import SqlGraph

    call_command("migrate", verbosity=0)
    graph = nx.powerlaw_cluster_graph(USERS, 5, 0.3, seed=1)
    rng = random.Random(SEED)
    users = rng.sample(sorted(graph.nodes()), SAMPLE)
    print(
        f"bench: latency: {USERS} users, {graph.number_of_edges()} friendships, max degree "
        f"{max(d for _, d in graph.degree())}",
        flush=True,
    )
    ids = load(graph)
    results = {"sql (PostgreSQL)": stage("sql", SqlGraph(), ids, users, random.Random(SEED))}
    if use_neo4j:
        from graph.backends.neo4j import Neo4jGraph

        copy_to_neo4j()
        results["neo4j (Cypher)"] = stage("neo4j", Neo4jGraph("pymk"), ids, users, random.Random(SEED))
        drop_space("pymk")
    path = save(
        "pymk_latency",
        {"graph": "powerlaw_cluster_graph(10000, 5, 0.3, seed=1)", "sampled_users": SAMPLE, "adapters": results},
        machine_note="(PostgreSQL and Neo4j Community on the same machine)",
    )
    write_targets(results)
    print(f"bench: wrote {path.relative_to(ROOT)}")


def write_targets(results):
    import json

    # One entry per target: the request path's selector. What it is measured beside (the live walk it
    # replaced, one primary-key SELECT as the floor) is said in its goal, and kept in the results file.
    entries = []
    for adapter, r in results.items():
        p99 = r["selector (stored + fresh merge)"]["p99_ms"]
        walk, floor = r["live walk (the previous request path)"]["p99_ms"], r["floor: one primary-key SELECT"]["p99_ms"]
        entries.append(
            {
                "name": "pymk latency: suggestions p99 per call, selector (stored + fresh merge), "
                f"{adapter}, 10,000 users",
                "goal": f"<= {GOAL_MS} (beside it in the same run: the live walk p99 {walk} ms, "
                f"one primary-key SELECT p99 {floor} ms)",
                "measured": p99,
                "unit": "ms",
                "met": p99 <= GOAL_MS,
                "command": "python -m bench.pymk --latency",
            }
        )
    path = RESULTS / "targets.json"
    kept = [e for e in json.loads(path.read_text()) if not e["name"].startswith("pymk latency")]
    path.write_text(json.dumps(kept + entries, indent=2) + "\n")
