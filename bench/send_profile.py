"""Where a send's time goes: the SQL statements (database round trips) of one send through the
action (what a WebSocket send runs) and through the REST endpoint, and the time of each, in
process on PostgreSQL. It prints the statements of one send, so a change to the path shows up as
a changed list. Beside it, in the same run, what a NOTIFY inside a writing transaction costs:
commits/s of 16 writers on distinct rows, without NOTIFY, with it inside the transaction (as the
outbox did), and with it after the commit (as it does now).

    eval "$(scripts/services/svc env)" && .venv/bin/python -m bench.send_profile [--sends 300]

Results: bench/results/send_profile.json (read by bench.ws_load for the targets' notes).
"""

import argparse
import time

from bench.common import ROOT, bench_env, percentile, prepare_group, recreate_database, save

DATABASE = "chatsite_bench_profile"


def statements(run):
    """(the SQL of one call of `run`, its wall time in ms)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        run()
        elapsed = (time.perf_counter() - started) * 1000
    return [q["sql"] for q in captured.captured_queries], elapsed


def measure(name, run, sends):
    run(0)  # warm: first-use loads (the ML registry, the serializers) are not a send's cost
    sql, _ = statements(lambda: run(1))
    times = [statements(lambda n=n: run(n))[1] for n in range(2, sends + 2)]
    out = {
        "round_trips": len(sql),
        "p50_ms": round(percentile(times, 50), 2),
        "p99_ms": round(percentile(times, 99), 2),
        "statements": [s[:160] for s in sql],
    }
    print(f"bench: {name}: {out['round_trips']} statements, p50 {out['p50_ms']} ms, p99 {out['p99_ms']} ms")
    for s in out["statements"]:
        print(f"    {s}")
    return out


def profile(sends):
    env = bench_env(DATABASE, MESSAGE_RATE_LIMIT="1000000/1s")
    recreate_database(env["DATABASE_URL"])
    conversation_id, tokens = prepare_group(env, 2, "profile")
    from django.contrib.auth import get_user_model
    from rest_framework.test import APIClient

    from chats import actions

    user = get_user_model().objects.get(username="profile0")

    def action(n):
        actions.do_send_message(user, conversation_id, text=f"hello {n}", client_id=f"a-{n}")

    client = APIClient(SERVER_NAME="127.0.0.1", HTTP_AUTHORIZATION=f"Token {tokens[1]}")
    url = f"/api/v1/conversations/{conversation_id}/messages"

    def rest(n):
        response = client.post(url, {"client_id": f"r-{n}", "text": f"hello {n}"}, format="json")
        assert response.status_code == 201, response.content

    return {"action": measure("action", action, sends), "rest": measure("rest", rest, sends)}


def notify_cost(writers=16, seconds=4):
    """Commits/s of `writers` threads, each updating its own row, three ways."""
    import threading

    import psycopg
    from django.db import connection

    params = connection.get_connection_params()
    with psycopg.connect(**params, autocommit=True) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS bench_notify (id int PRIMARY KEY, v int)")
        conn.execute("INSERT INTO bench_notify SELECT g, 0 FROM generate_series(0, 63) g ON CONFLICT DO NOTHING")

    def run(mode):
        done, stop = [0] * writers, time.perf_counter() + seconds

        def writer(i):
            with psycopg.connect(**params) as conn:
                while time.perf_counter() < stop:
                    conn.execute("UPDATE bench_notify SET v = v + 1 WHERE id = %s", [i])
                    if mode == "inside":
                        conn.execute("NOTIFY bench_notify")
                    conn.commit()
                    if mode == "after":
                        conn.execute(
                            "SELECT set_config('synchronous_commit', 'off', true), pg_notify('bench_notify', '')"
                        )
                        conn.commit()
                    done[i] += 1

        threads = [threading.Thread(target=writer, args=(i,)) for i in range(writers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return round(sum(done) / seconds)

    out = {mode: run(mode) for mode in ("none", "inside", "after")}
    print(
        f"bench: commits/s of {writers} writers: without NOTIFY {out['none']}, "
        f"NOTIFY inside {out['inside']}, after {out['after']}"
    )
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sends", type=int, default=300)
    args = parser.parse_args()
    results = profile(args.sends)
    results["notify_commits_per_s"] = notify_cost()
    path = save("send_profile", results)
    print(f"bench: wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
