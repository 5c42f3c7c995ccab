"""The calls a connect and a send make, timed in process, beside the previous design.

A WebSocket connect makes two: the token check (`gateway.socket.auth.user_for_token`, which REST
requests share) and the socket's start (`gateway.socket.start.bootstrap`). A socket that
reconnects replays what it missed: the store's `events_after` for a page of 50 messages (a
reaction on every fifth), each turned into its wire frame. A send runs the access check
(`chats.selectors.conversation_for`, which every action and replay asks), then the group commit's
`do_send_messages`, alone or eight senders together, and its answer (`message_data`).

Each tree (this one, and the previous design's worktree from bench/previous.py) prepares a room
of 50 members on a PostgreSQL database of its own with its own code, then times the calls in a
child process of its own: CPU time of that process per call, and wall time. The trees take
turns, round after round, so that neither always runs on the quieter machine; the report gives
each round and the median.

    eval "$(scripts/services/svc env)" && .venv/bin/python -m bench.hot_calls [--calls 400] [--rounds 3]

Writes bench/results/hot_calls.json.
"""

import argparse
import json
import statistics

from bench.common import ROOT, bench_env, recreate_database, save
from bench.previous import COMMIT, checkout, prepare, run_in_tree

DATABASE = "chatsite_bench_hot"
CALLS = ("user_for_token", "bootstrap", "replay", "access_check", "send", "send_8_together", "answer")

_MEASURE = """
import json, sys, time
import django
django.setup()
from chats import actions
from chats.backends import get_store
from chats.selectors import conversation_for
from chats.serializers import event_frame, message_data
from gateway.socket import auth, start
tokens, room, calls = json.loads(sys.stdin.read())
users = [auth.user_for_token(t)[0] for t in tokens]
first = get_store().latest_seq(room)
run = time.time_ns()  # client ids of this round's own: a later round's sends are new messages
for i in range(50):
    sender = users[i % len(users)]
    message, _ = actions.do_send_message(sender, room, text=f"message {i}", client_id=f"replay-{run}-{i}")
    if i % 5 == 0:
        actions.do_react(users[(i + 1) % len(users)], room, message.id, "\N{THUMBS UP SIGN}")
def send(i):
    return actions.do_send_message(users[i % len(users)], room, text=f"send {i}", client_id=f"s-{run}-{i}")
def send_together(i):
    requests = [
        actions.SendRequest(users[(i * 8 + j) % len(users)], room, f"send {i}.{j}", f"t-{run}-{i}-{j}")
        for j in range(8)
    ]
    return actions.do_send_messages(requests)
def timed(call, per=1):
    for i in range(20):
        call(i)
    cpu, wall = time.process_time(), time.perf_counter()
    for i in range(20, 20 + calls):
        call(i)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return {"cpu_ms": 1000 * cpu / calls / per, "wall_ms": 1000 * wall / calls / per}
out = {
    "user_for_token": timed(lambda i: auth.user_for_token(tokens[i % len(tokens)])),
    "bootstrap": timed(lambda i: start.bootstrap(users[i % len(users)])),
    "replay": timed(lambda i: [event_frame(e) for e in get_store().events_after(room, first, 50)]),
    "access_check": timed(lambda i: conversation_for(users[i % len(users)], room)),
    "send": timed(send),
    "send_8_together": timed(send_together, per=8),
    "answer": timed(lambda i: message_data(message)),
}
print("MEASURED " + json.dumps(out), flush=True)
"""


def measure(tree, env, room, calls):
    return run_in_tree(tree, env, _MEASURE, [room["tokens"], room["id"], calls], "MEASURED")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=400, help="timed calls of each kind per round")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with checkout() as previous_tree:
        stages = {}
        for name, tree in (("chatsite", ROOT), ("previous", previous_tree)):
            env = bench_env(f"{DATABASE}_{name}", MESSAGE_RATE_LIMIT="1000000/1s")
            recreate_database(env["DATABASE_URL"])
            (room,) = prepare(tree, env, kind="rooms", rooms=1, members=50, prefix=f"hot{name}")
            stages[name] = (tree, env, room)
        rounds = {name: [] for name in stages}
        for i in range(args.rounds):
            order = list(stages) if i % 2 == 0 else list(reversed(stages))
            for name in order:
                rounds[name].append(measure(*stages[name], args.calls))
                print(f"hot_calls: round {i + 1}/{args.rounds} {name}: {rounds[name][-1]}", flush=True)
    results = {"previous_commit": COMMIT, "calls": args.calls, "rounds": rounds, "median": {}}
    for name, measured in rounds.items():
        results["median"][name] = {
            call: {unit: round(statistics.median(r[call][unit] for r in measured), 3) for unit in ("cpu_ms", "wall_ms")}
            for call in CALLS
        }
    path = save("hot_calls", results)
    print(json.dumps(results["median"], indent=2))
    print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
