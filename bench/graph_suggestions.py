"""People-you-may-know on Neo4j and on SQL, side by side: p50 and p99 over random users.

A generated graph of 10,000 users and 200,000 friendships (clustered: most friends come from the
same community of 100, as in real networks, so friends of friends share several friends), plus
conversations, follows and blocks, is written straight into a throwaway PostgreSQL database with
bulk_create, then copied into the Neo4j space "bench" by the rebuild (UNWIND batches). Each
adapter then answers the same users; the two answers must be identical.

    eval "$(scripts/services/svc env)" && .venv/bin/python -m bench.graph_suggestions [--users 200]
"""

import argparse
import os
import random
import sys
import time

from bench.common import ROOT, bench_database_url, plot_latency, recreate_database, save, summarize

USERS = 10_000
FRIENDSHIPS = 200_000
COMMUNITY = 100
INSIDE_COMMUNITY = 0.8
CONVERSATIONS = 3_000
FOLLOWS = 20_000
BLOCKS = 1_000
SPACE = "bench"
SEED = 42


def setup_django(env):
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def random_pairs(rng, count, *, clustered):
    pairs = set()
    while len(pairs) < count:
        a = rng.randrange(USERS)
        if clustered and rng.random() < INSIDE_COMMUNITY:
            b = a - a % COMMUNITY + rng.randrange(COMMUNITY)
        else:
            b = rng.randrange(USERS)
        if a != b:
            pairs.add((min(a, b), max(a, b)) if clustered else (a, b))
    return pairs


def generate(rng):
    """Write the graph with bulk_create; returns the user ids."""
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from accounts.models import Block
    from chats.models import Conversation, Membership
    from graph.models import Follow, Friendship

    User = get_user_model()
    with transaction.atomic():
        User.objects.bulk_create([User(username=f"b{i}", password="!") for i in range(USERS)], batch_size=5_000)
        ids = list(User.objects.order_by("pk").values_list("pk", flat=True))
        friendships = random_pairs(rng, FRIENDSHIPS, clustered=True)
        rows = [Friendship(user_id=ids[a], friend_id=ids[b]) for a, b in friendships]
        rows += [Friendship(user_id=ids[b], friend_id=ids[a]) for a, b in friendships]
        Friendship.objects.bulk_create(rows, batch_size=10_000)
        Follow.objects.bulk_create(
            [Follow(follower_id=ids[a], followee_id=ids[b]) for a, b in random_pairs(rng, FOLLOWS, clustered=False)],
            batch_size=10_000,
        )
        # Blocks between strangers only: a real block would have removed the friendship.
        strangers = random_pairs(rng, BLOCKS * 2, clustered=False) - friendships
        Block.objects.bulk_create(
            [Block(blocker_id=ids[a], blocked_id=ids[b]) for a, b in list(strangers)[:BLOCKS]], batch_size=10_000
        )
        conversations = Conversation.objects.bulk_create(
            [Conversation(kind="group", title=f"g{i}") for i in range(CONVERSATIONS)], batch_size=5_000
        )
        memberships = []
        for conversation in conversations:
            base = rng.randrange(USERS // COMMUNITY) * COMMUNITY
            members = {base + rng.randrange(COMMUNITY) for _ in range(rng.randint(3, 12))}
            memberships += [Membership(conversation=conversation, user_id=ids[m]) for m in members]
        Membership.objects.bulk_create(memberships, batch_size=10_000)
    return ids, len(memberships)


def copy_to_neo4j():
    from graph.backends.neo4j_nodes import drop_space
    from graph.rebuild import progress_bar, rebuild, verify

    drop_space(SPACE)
    started = time.perf_counter()
    rebuild(SPACE, batch_size=5_000, progress=progress_bar, log=lambda line: None)
    elapsed = time.perf_counter() - started
    mismatched = [kind for kind, (truth, mirror) in verify(SPACE).items() if truth != mirror]
    if mismatched:
        sys.exit(f"bench: the Neo4j copy differs from SQL in {mismatched}")
    return elapsed


def side_by_side(backends, query, inputs):
    """Time each input on every backend, one right after the other (alternating which goes first),
    so that both meet the same moments of load on a shared machine.
    Returns {label: (latencies ms, seconds spent, {input: answer})}."""
    timings = {label: ([], 0.0, {}) for label in backends}
    for i, item in enumerate(inputs):
        labels = list(backends) if i % 2 == 0 else list(reversed(backends))
        for label in labels:
            latencies, spent, answers = timings[label]
            started = time.perf_counter()
            answers[item] = query(backends[label], item)
            took = time.perf_counter() - started
            latencies.append(took * 1000)
            timings[label] = (latencies, spent + took, answers)
    return timings


def explain(user_id):
    from django.db import connection

    from graph.backends.sql import _suggestions_sql

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + _suggestions_sql(), {"me": user_id, "active": True, "limit": 10})
        return [row[0] for row in cursor.fetchall()]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=200, help="random users to ask for suggestions")
    parser.add_argument("--limit", type=int, default=10, help="suggestions per query")
    parser.add_argument("--keep", action="store_true", help="keep the database and the Neo4j space afterwards")
    parser.add_argument("--reuse", action="store_true", help="time the graph that --keep left (no generation)")
    args = parser.parse_args()

    env = {
        "DJANGO_SETTINGS_MODULE": "settings.dev",
        "DEBUG": "False",
        "LOG_LEVEL": "WARNING",
        "DATABASE_URL": bench_database_url("chatsite_bench_graph"),
        "GRAPH_NEO4J_SPACE": SPACE,
    }
    if not os.environ.get("NEO4J_URL"):
        sys.exit('bench: set NEO4J_URL (eval "$(scripts/services/svc env)")')
    if not args.reuse:
        print("bench: preparing database chatsite_bench_graph ...", flush=True)
        recreate_database(env["DATABASE_URL"])
    setup_django(env)
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection

    from chats.models import Membership
    from graph.backends.neo4j import Neo4jGraph
    from graph.backends.neo4j_nodes import drop_space
    from graph.backends.sql import SqlGraph

    rng = random.Random(SEED)
    rebuild_seconds = None
    if args.reuse:
        ids = list(get_user_model().objects.order_by("pk").values_list("pk", flat=True))
        membership_count = Membership.objects.count()
    else:
        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        ids, membership_count = generate(rng)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        print(f"bench: generated the graph in SQL in {time.perf_counter() - started:.1f}s", flush=True)
        print("bench: copying it to Neo4j (rebuild_graph) ...", flush=True)
        rebuild_seconds = copy_to_neo4j()
        print(f"bench: copied and verified in {rebuild_seconds:.1f}s", flush=True)

    sample = rng.sample(ids, args.users)
    backends = {"neo4j (Cypher)": Neo4jGraph(SPACE), "sql (PostgreSQL)": SqlGraph()}
    for backend in backends.values():
        for user_id in rng.sample(ids, 50):  # warm caches, plans and connections
            backend.suggestions(user_id, args.limit)
    timings = side_by_side(backends, lambda backend, user_id: backend.suggestions(user_id, args.limit), sample)
    results = {label: summarize(latencies, spent) for label, (latencies, spent, _) in timings.items()}
    series = {label: latencies for label, (latencies, _, _) in timings.items()}
    for label, summary in results.items():
        print(f"bench: suggestions {label}: {summary}", flush=True)
    first, second = (answers for _, _, answers in timings.values())
    differing = [u for u in sample if first[u] != second[u]]
    if differing:
        sys.exit(f"bench: the adapters disagree for {len(differing)} users, e.g. {differing[:3]}")

    pairs = [tuple(rng.sample(ids, 2)) for _ in range(args.users)]
    timings = side_by_side(backends, lambda backend, pair: backend.path(*pair), pairs)
    path_results = {label: summarize(latencies, spent) for label, (latencies, spent, _) in timings.items()}
    for label, summary in path_results.items():
        print(f"bench: path {label}: {summary}", flush=True)
    first_paths, second_paths = (answers for _, _, answers in timings.values())
    # Shortest paths may differ where several are equally short; their lengths may not.
    if any(len(first_paths[p] or []) != len(second_paths[p] or []) for p in pairs):
        sys.exit("bench: the adapters disagree on a path length")

    sizes = [len(a) for a in first.values()]
    path = save(
        "graph_suggestions",
        {
            "graph": {
                "users": USERS,
                "friendships": FRIENDSHIPS,
                "community_size": COMMUNITY,
                "inside_community": INSIDE_COMMUNITY,
                "conversations": CONVERSATIONS,
                "memberships": membership_count,
                "follows": FOLLOWS,
                "blocks": BLOCKS,
            },
            "query": f"suggestions(user, limit={args.limit}) for {args.users} random users, same answers on both",
            "suggestions_returned_mean": round(sum(sizes) / len(sizes), 1),
            "suggestions": results,
            "shortest_path_up_to_4_hops": path_results,
            "neo4j_rebuild_seconds": rebuild_seconds and round(rebuild_seconds, 1),
            "sql_plan_for_one_user": explain(sample[0]),
        },
        machine_note="(PostgreSQL 15 and Neo4j 5.26 Community on the same machine)",
    )
    plot = plot_latency("graph_suggestions", series, "People you may know: 10k users, 200k friendships")
    if not args.keep:
        drop_space(SPACE)
    print(f"bench: wrote {path.relative_to(ROOT)} and {plot.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
