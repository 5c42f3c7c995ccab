"""Where a send's time goes: the SQL statements (database round trips) of one send through the
action (what a WebSocket send runs) and through the REST endpoint, and the time of each, in
process on PostgreSQL. It prints the statements of one send, so a change to the path shows up as
a changed list.

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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sends", type=int, default=300)
    args = parser.parse_args()
    results = profile(args.sends)
    path = save("send_profile", results)
    print(f"bench: wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
