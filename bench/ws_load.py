"""WebSocket load: fan-out throughput and latency, connection capacity, a reconnect storm and REST
sends, with the naive Channels-tutorial design and the previous design (an older commit checked
out by bench.previous, with its own tutorial baseline) measured beside ours in the same run.
Writes the performance targets' entries in bench/results/targets.json and a table of them.

The server runs as in production (PostgreSQL and Redis as real services, several worker
processes), one per design started once for the whole run; the load comes from asyncio worker
processes on the same machine (bench.load_clients), each owning whole rooms so it can check that
every client got every message once and in order.

    eval "$(scripts/services/svc env)" && .venv/bin/python -m bench.ws_load            # make bench
    .venv/bin/python -m bench.ws_load --full      # 10,000 sockets, longer steps

Knobs: --rooms/--members (the fan-out shape), --rates (sends per second, the ramp), --send-rates
(the send path's ramp: the same rooms' sender sockets alone), --seconds (per step), --sockets
(capacity), --client-procs, --scenarios. Results: bench/results/ws_load.{json,md} and ws_load_*.png
(ws_load_full.* with --full).
"""

import argparse
import concurrent.futures
import contextlib
import itertools
import json
import math
import multiprocessing
import os
import sys
import time
import uuid

from bench.common import (
    RESULTS,
    ROOT,
    bench_env,
    cpu_seconds,
    percentile,
    rss_mb,
    run_load,
    save,
    server_processes,
)

# The designs under test. "tutorial" is the naive one: a group per room, one group_send per
# message through RedisChannelLayer with default settings, JSON by the standard library, one worker.
HUB, TUTORIAL = "gateway.fanout.hub", "bench.tutorial.fanout"  # GATEWAY_FANOUT adapters
APP = "chatsite.asgi:application"
WORKERS = int(os.environ.get("BENCH_WORKERS", 3))
DESIGNS = {
    "baseline": {"fanout": TUTORIAL, "server": "daphne", "workers": 1, "app": "bench.tutorial.asgi:application"},
    # Three workers on two cores: each spends part of its time waiting (the database, the GIL
    # handoff between its event loop and its database threads); 2, 3 and 4 were measured.
    "chatsite": {"fanout": HUB, "server": "uvicorn", "workers": WORKERS},
    # The same two, as the commit before the gateway app had them (bench.previous), in this run.
    "previous": {"tree": "previous", "fanout": "hub", "server": "uvicorn", "workers": WORKERS},
    "previous baseline": {"tree": "previous", "fanout": "tutorial", "server": "daphne", "workers": 1},
}
MATRIX = [(server, fanout) for server in ("daphne", "uvicorn") for fanout in (TUTORIAL, HUB)]
DATABASE = "chatsite_bench_load"
PREVIOUS_DATABASE = "chatsite_bench_load_previous"
SETTLE_SECONDS = float(os.environ.get("BENCH_SETTLE", 1))


def server_env(spec):
    """The server's environment for a design. The previous tree's fan-out is named both ways: a
    commit from before the gateway app reads WS_FANOUT ("hub" or "tutorial"), a later one
    GATEWAY_FANOUT (the adapter's module); each reads the one it knows."""
    if spec.get("tree") == "previous":
        adapter = {"hub": HUB, "tutorial": TUTORIAL}[spec["fanout"]]
        database, fanout = PREVIOUS_DATABASE, {"WS_FANOUT": spec["fanout"], "GATEWAY_FANOUT": adapter}
    else:
        database, fanout = DATABASE, {"GATEWAY_FANOUT": spec["fanout"]}
    return bench_env(
        database,
        **fanout,
        MESSAGE_RATE_LIMIT="1000000/1s",
        WS_RATE_PER_SECOND="100000",
        WS_RATE_BURST="100000",
        PRESENCE_HEARTBEAT="30",
    )


def latest_seqs(rooms, database_url):
    """Each room's latest seq, read from the design's own database (both trees keep the counters
    in the same table)."""
    import psycopg

    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT conversation_id::text, last_seq FROM chats_seqcounter WHERE conversation_id = ANY(%s::uuid[])",
            [[r["id"] for r in rooms]],
        ).fetchall()
    last = dict(rows)
    for room in rooms:
        room["last"] = last.get(room["id"], 0)
    return rooms


class Stage:
    """What a design runs on: its source tree, its database with its rooms, its server."""

    trees = {None: ROOT}  # "previous" -> the checkout, while the run lasts
    rooms = {}  # tree name -> the prepared rooms (all of them; steps use the first ones)
    groups = {}  # tree name -> the REST scenario's group: [conversation id, tokens]
    # Design -> (its server's ExitStack, (base URL, pids)): one server per design for the whole run,
    # as starting and stopping a server cost 8-10 s each; every scenario closes its own sockets.
    running = {}

    def __init__(self, design, room_count=None):
        self.design = design if isinstance(design, str) else None
        self.spec = DESIGNS[design] if isinstance(design, str) else design
        tree = self.spec.get("tree")
        self.env, self.cwd = server_env(self.spec), self.trees[tree]
        self.all_rooms, self.group = self.rooms[tree], self.groups.get(tree)
        self.room_list = self.all_rooms[:room_count] if room_count else self.all_rooms

    def server(self):
        """A server of its own (the matrix's designs have no name to keep one under)."""
        spec = self.spec
        return server_processes(self.env, spec["server"], spec["workers"], spec.get("app", APP), cwd=self.cwd)

    def serve(self):
        """The design's server, started when a scenario first needs it: (base URL, pids)."""
        if self.design not in self.running:
            stack = contextlib.ExitStack()
            self.running[self.design] = stack, stack.enter_context(self.server())
        return self.running[self.design][1]

    @classmethod
    def shut_down(cls, *designs):
        """Stop these designs' servers (all of them when none is named)."""
        for design in designs or list(cls.running):
            if design in cls.running:
                cls.running.pop(design)[0].close()

    @contextlib.contextmanager
    def connected(self, procs, rooms=None, **plan):
        """The load generator's processes on the design's server (not yet connected), stopped at the
        end of the scenario; then the server is given time to finish with their sockets, as
        stopping it used to. Yields (clients, pids)."""
        base, pids = self.serve()
        with self.clients(base, procs, rooms, **plan) as clients:
            yield clients, pids
        settle(pids)

    def clients(self, base, procs, rooms=None, **plan):
        if self.spec["fanout"] in (TUTORIAL, "tutorial"):
            # The tutorial's channel layer drops what overflows it, so a step that design fell
            # behind in never drains: 5 s show that as well as the 30 (bench.load_clients) that the
            # others keep, whose "0 lost" rests on a full drain.
            plan["drain_seconds"] = 5
        return Clients(base, rooms or self.room_list, procs, database_url=self.env["DATABASE_URL"], **plan)


def settle(pids, limit=10):
    """Wait (at most `limit` seconds) until the server is idle: the sockets a scenario closed leave
    it work (their presence leaving) that the next scenario, maybe another design's, must not pay."""
    deadline = time.perf_counter() + limit
    while time.perf_counter() < deadline:
        used = cpu_seconds(pids())
        time.sleep(0.5)
        if cpu_seconds(pids()) - used < 0.05:  # a tenth of a core
            return


class Clients:
    """The load generator's processes, each with its share of whole rooms, connected once and
    driven through load steps."""

    def __init__(self, base, rooms, procs, database_url, **plan):
        ctx = multiprocessing.get_context("spawn")
        from bench.load_clients import run_worker

        url = base.replace("http", "ws", 1) + "/ws/v1/"
        self.rooms, self.pipes, self.procs, self.steps = latest_seqs(rooms, database_url), [], [], 0
        self.member_sockets = plan.get("member_sockets", True)
        shares = [s for s in (self.rooms[i::procs] for i in range(procs)) if s]
        run = uuid.uuid4().hex[:8]  # client ids of their own: a rerun's sends are not deduplicated
        first = 0
        for i, share in enumerate(shares):
            mine, theirs = ctx.Pipe()
            worker_plan = {"url": url, "rooms": share, "tag": f"{run}-p{i}"}
            if plan.get("first_source"):  # an address each, past one address's ephemeral ports
                worker_plan["local_host"] = f"127.0.0.{plan['first_source'] + i}"
            worker_plan.update(first_sender=first, senders=len(rooms))
            first += len(share)
            proc = ctx.Process(target=run_worker, args=({**worker_plan, **plan}, theirs))
            proc.start()
            self.pipes.append(mine)
            self.procs.append(proc)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    def ask(self, command, timeout=300):
        for pipe in self.pipes:
            pipe.send(command)
        answers = []
        for pipe in self.pipes:
            if not pipe.poll(timeout):
                raise RuntimeError(f"a load worker did not answer {command!r} within {timeout} s")
            answer = pipe.recv()
            if isinstance(answer, dict) and "failed" in answer:
                raise RuntimeError(f"a load worker failed: {answer['failed']}")
            answers.append(answer)
        return answers

    def connect(self, timeout=300):
        answers = self.ask("connect", timeout)
        self.connect_s = max(a["connected_s"] for a in answers)
        self.connect_retries = sum(a.get("connect_retries", 0) for a in answers)
        time.sleep(SETTLE_SECONDS)  # the presence announcements of the new sockets settle
        return self.connect_s

    def step(self, rate, seconds, drop_at=None, timeout=300):
        """`rate` sends per second in all, spread over the rooms -> (merged results, latencies)."""
        self.steps += 1
        per_room = rate / len(self.rooms)
        answers = self.ask({"n": self.steps, "rate": per_room, "seconds": seconds, "drop_at": drop_at}, timeout)
        return merge(answers, rate, self.rooms)

    def stop(self):
        for pipe in self.pipes:
            try:
                pipe.send("stop")
                pipe.poll(30) and pipe.recv()
            except OSError:
                pass  # that worker failed and is gone; its failure was reported
        for proc in self.procs:
            proc.join(10)
            if proc.is_alive():
                proc.kill()


def merge(answers, rate, rooms):
    latencies = [x for a in answers for x in a["latencies_ms"]]
    acks = [x for a in answers for x in a["ack_ms"]]
    delivered = sum(a["delivered"] for a in answers)
    span = max((a["last_at"] or 0) for a in answers) - min(a["go_at"] for a in answers)
    ack_span = max(a["last_ack_at"] for a in answers) - min(a["go_at"] for a in answers)
    out = {
        "clients": sum(a["sockets"] for a in answers),
        "offered_sends_per_s": rate,
        "offered_deliveries_per_s": round(rate * len(rooms[0]["tokens"])),
        "delivered_per_s": round(delivered / span) if span > 0 else 0,
        "p50_ms": round(percentile(latencies, 50), 1),
        "p95_ms": round(percentile(latencies, 95), 1),
        "p99_ms": round(percentile(latencies, 99), 1),
        "ack_p50_ms": round(percentile(acks, 50), 1),
        "ack_p99_ms": round(percentile(acks, 99), 1),
        "step_acked": len(acks),  # "acked" and "sent" count since connecting
        "acked_per_s": round(len(acks) / ack_span, 1) if ack_span > 0 else 0,
        **{k: sum(a["check"][k] for a in answers) for k in ("sent", "acked", "lost", "duplicated")},
        "problems": sum(a["problem_count"] for a in answers),
        # Sockets the server closed during the step (by close code), each reopened with resume.
        "reopened": sum(a.get("reopened", 0) for a in answers),
        "server_closes": _closes(answers),
        "drained_s": round(max(a["drained_s"] for a in answers), 2),
    }
    storms = [a["storm"] for a in answers if a["storm"]]
    if storms:
        out["storm"] = {
            "clients": sum(s["clients"] for s in storms),
            "reconnected_s": round(max(s["reconnected_s"] for s in storms), 2),
            "caught_up_s": round(max(s["caught_up_s"] for s in storms), 2),
        }
    return out, latencies


def _closes(answers):
    closes = {}
    for answer in answers:
        for kind, count in answer["frames"].items():
            if kind.startswith("close "):
                closes[kind[6:]] = closes.get(kind[6:], 0) + count
    return closes


def sustained(step):
    """A step the server kept up with: nearly all offered deliveries made, nothing lost."""
    kept_up = step["delivered_per_s"] >= 0.9 * step["offered_deliveries_per_s"]
    return kept_up and not step["lost"] and step["p99_ms"] < 1000


def sends_sustained(step):
    """A step of the send path the server kept up with: nearly all offered sends acknowledged."""
    return step["acked_per_s"] >= 0.9 * step["offered_sends_per_s"] and step["ack_p99_ms"] < 1000


def ramp(design, clients, pids, rates, seconds, log):
    """Steps of rising load on connected clients until one is not kept up with. Without member
    sockets it is the send path alone: each send's one delivery is to its own sender."""
    steps, series = [], {}
    kept_up = sustained if clients.member_sockets else sends_sustained
    for rate in rates:
        cpu, wall = cpu_seconds(pids()), time.perf_counter()
        step, latencies = clients.step(rate, seconds)
        used, wall = cpu_seconds(pids()) - cpu, time.perf_counter() - wall
        step["connect_s"] = round(clients.connect_s, 1)
        # Server CPU per delivery (every acknowledged message reaches every member, late or
        # not, so that is the work done), and how much of the 2 cores the server got: on a
        # shared machine a design that needs more CPU per delivery than its share falls behind.
        per_send = len(clients.rooms[0]["tokens"]) if clients.member_sockets else 1
        deliveries = step["step_acked"] * per_send - step["lost"]
        step["server_cpu_ms_per_delivery"] = round(used * 1000 / deliveries, 3) if deliveries > 0 else None
        step["server_cores_busy"] = round(used / wall, 2)
        step["load_average"] = round(os.getloadavg()[0], 1)
        log(f"{design:9} {rate:5} sends/s -> {step}")
        steps.append(step)
        series[rate] = latencies
        if not kept_up(step):
            break
    return steps, series


def one_step(clients, load, rate, seconds, drop_at=None):
    """One step on clients connected after the load average `load` was read."""
    step, latencies = clients.step(rate, seconds, drop_at)
    step["connect_s"] = round(clients.connect_s, 1)
    step["load_average_before"] = load
    return step, latencies


# Rooms whose sockets connect first, at the same pace: a worker's first sockets also pay what a
# worker pays once (imports on first use, caches, its database and Redis connections, the threads
# of its pools), which is not what a socket costs. bench.socket_memory warms up the same way.
WARM_ROOMS = 2


def capacity(design, stage, rooms, procs, log):
    spec = stage.spec
    load = round(os.getloadavg()[0], 1)
    base, pids = stage.serve()
    settle(pids)  # a worker of a server just started may still be importing: its growth is not the sockets'
    fresh = {pid: rss_mb(pid) for pid in pids()}
    warm_rooms, rooms = rooms[:WARM_ROOMS], rooms[WARM_ROOMS:]
    with stage.clients(base, procs, warm_rooms, connect_in_flight=100) as warm:
        warm.connect(timeout=900)
        settle(pids)
        before = {pid: rss_mb(pid) for pid in pids()}
        with stage.connected(procs, rooms, connect_in_flight=100) as (clients, _):
            started = time.perf_counter()
            clients.connect(timeout=900)
            elapsed = time.perf_counter() - started - SETTLE_SECONDS
            retries = clients.connect_retries
            time.sleep(2)
            after = {pid: rss_mb(pid) for pid in pids()}
    warmed = sum(len(r["tokens"]) + 1 for r in warm_rooms)
    sockets = sum(len(r["tokens"]) + 1 for r in rooms)  # the members, and a sender socket per room
    grown = sum(after.values()) - sum(before.values())
    out = {
        "sockets": sockets,
        "server": f"{spec['server']}, {spec['workers']} workers",
        "connect_all_s": round(elapsed, 1),
        "load_average_before": load,
        # Handshakes refused or failed and tried again after a pause, as a real client does.
        "connect_retries": retries,
        "warm_sockets": warmed,
        "rss_mb_per_worker_fresh": [round(v) for v in fresh.values()],
        "rss_mb_per_worker_before": [round(v) for v in before.values()],
        "rss_mb_per_worker_after": [round(v) for v in after.values()],
        "kb_per_socket": round(grown * 1024 / sockets, 1),
        # The same growth counted from the fresh workers, over every socket: with the workers' own
        # one-time costs, which weigh less the more sockets a worker holds.
        "kb_per_socket_from_fresh": round((sum(after.values()) - sum(fresh.values())) * 1024 / (sockets + warmed), 1),
    }
    log(f"capacity  {design}: {out}")
    return out


def rest(design, log, requests):
    from bench.rest_send import load

    stage = Stage(design)
    conversation_id, tokens = stage.group
    base, _ = stage.serve()
    out = {}
    run_load(load(base, conversation_id, tokens, 4, 50, 30))
    for level in (1, 32):
        latencies, elapsed = run_load(load(base, conversation_id, tokens, level, requests, 60))
        out[f"{level} client(s)"] = {
            "per_second": round(len(latencies) / elapsed, 1),
            "p50_ms": round(percentile(latencies, 50), 1),
            "p95_ms": round(percentile(latencies, 95), 1),
            "p99_ms": round(percentile(latencies, 99), 1),
        }
        log(f"rest      {design} {level} client(s): {out[f'{level} client(s)']}")
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="10,000 sockets and longer steps")
    parser.add_argument("--rooms", type=int, default=10)
    parser.add_argument("--members", type=int, default=100)
    parser.add_argument("--rates", type=int, nargs="+", default=None, help="sends/s of the ramp's steps")
    parser.add_argument("--seconds", type=float, default=None, help="per load step")
    parser.add_argument("--sockets", type=int, default=None, help="capacity: idle sockets to open")
    parser.add_argument("--client-procs", type=int, default=2)
    # "previous baseline" (the older tree's own tutorial design) is left out by default: it is the
    # same design as "baseline", and its ramp took about a minute of the five.
    parser.add_argument("--designs", nargs="+", default=["baseline", "chatsite", "previous"], choices=list(DESIGNS))
    parser.add_argument("--send-rates", type=int, nargs="+", default=None, help="sends/s of the send path's ramp")
    # The servers' matrix (daphne and uvicorn at 2,000 deliveries/s) runs with --full only: the short
    # run keeps within its five minutes with the send path's ramp instead.
    parser.add_argument("--scenarios", nargs="+", default=None, help=f"of {', '.join(SCENARIOS)}")
    parser.add_argument("--targets-only", action="store_true", help="rewrite the targets from the saved results")
    args = parser.parse_args()
    if args.targets_only:
        name = "ws_load_full" if args.full else "ws_load"
        return write_targets(name, json.loads((RESULTS / f"{name}.json").read_text())["results"])
    if not os.environ.get("REDIS_URL") or not os.environ.get("DATABASE_URL"):
        sys.exit('bench: set DATABASE_URL and REDIS_URL (eval "$(scripts/services/svc env)")')
    seconds = args.seconds or (15 if args.full else 5)
    # The short run takes coarser steps: four designs ramp within the five minutes.
    args.rates = args.rates or ([10, 20, 40, 80, 120, 140, 160, 200] if args.full else [10, 40, 80, 120, 160, 200])
    args.send_rates = args.send_rates or (
        [50, 100, 150, 200, 300, 400, 500, 600, 800, 1000, 1200, 1500]
        if args.full
        else [100, 200, 300, 400, 600, 800, 1000]
    )
    args.scenarios = args.scenarios or [s for s in SCENARIOS if args.full or s != "matrix"]
    sockets = args.sockets or (10_000 if args.full else 2_000)
    started = time.perf_counter()

    def log(text):
        print(f"bench [{time.perf_counter() - started:6.1f}s] {text}", flush=True)

    with contextlib.ExitStack() as stack:
        previous = prepare_stages(stack, args, sockets, log)
        stack.callback(Stage.shut_down)  # before the previous tree they serve goes
        results = run(args, seconds, sockets, log)
        results["previous_commit"] = previous
    name = "ws_load_full" if args.full else "ws_load"
    plots = results.pop("_plots")
    path = save(name, results)
    report(name, results, plots)
    write_targets(name, results)
    log(f"wrote {path.relative_to(ROOT)}, {name}.md, targets.json and the plots in {RESULTS.relative_to(ROOT)}")


def prepare_stages(stack, args, sockets, log):
    """The rooms of each source tree, and the REST scenario's group, in its own database, each made
    by the tree's own code in a child process, the two at once; the previous tree checked out."""
    from bench.previous import COMMIT, checkout, prepare_all

    count = max(args.rooms, math.ceil(sockets / args.members))
    plans = [{"kind": "rooms", "rooms": count, "members": args.members, "prefix": "load"}]
    if "rest" in args.scenarios:
        plans.append({"kind": "group", "members": 32, "prefix": "rest"})
    trees = {None: "chatsite"}
    if any(DESIGNS[d].get("tree") for d in args.designs):
        Stage.trees["previous"] = stack.enter_context(checkout())
        trees["previous"] = "previous"
    with concurrent.futures.ThreadPoolExecutor(len(trees)) as pool:
        futures = {
            tree: pool.submit(prepare_all, Stage.trees[tree], server_env(DESIGNS[design]), plans)
            for tree, design in trees.items()
        }
    for tree, future in futures.items():
        Stage.rooms[tree], *group = future.result()
        Stage.groups[tree] = group[0] if group else None
    log(f"prepared {count} rooms of {args.members}" + (" and the REST group" if len(plans) > 1 else "") + " per tree")
    if "previous" in trees:
        log(f"checked out {COMMIT} as the previous design")
        return COMMIT


def run(args, seconds, sockets, log):
    results = {"shape": {"rooms": args.rooms, "members": args.members, "seconds_per_step": seconds}}
    results["load_average_at_start"] = round(os.getloadavg()[0], 1)
    results["_plots"] = {}
    passes = {}  # function -> the first of its scenarios in this run (the storm is the fan-out's)
    for scenario in SCENARIOS:
        if scenario in args.scenarios:
            passes.setdefault(SCENARIOS[scenario], scenario)
    for function, scenario in passes.items():
        try:
            function(args, seconds, sockets, log, results, results["_plots"])
        except Exception as exc:
            # A server that did not start on a loaded machine: the other scenarios still count.
            log(f"{scenario} failed: {exc.__class__.__name__}: {exc}")
            results.setdefault("failed", {})[scenario] = f"{exc.__class__.__name__}: {exc}"
            Stage.shut_down()  # the next scenario starts servers afresh, not on one that failed
    return results


def run_fanout(args, seconds, sockets, log, results, plots):
    """The fan-out ramps and the reconnect storm, on the same connected clients (connecting 1,000
    sockets takes 8-16 s): the storm first, then the ramp. The load workers count lost and
    duplicated deliveries since connecting, so a ramp step's count includes the storm's."""
    ramps = "fanout" in args.scenarios
    storms = dict(compared(args)) if "storm" in args.scenarios else {}
    if ramps:
        results["fanout"], plots["ramp"] = {}, {}
    for design in in_turn(dict.fromkeys([*(args.designs if ramps else []), *storms])):
        load, stage = round(os.getloadavg()[0], 1), Stage(design, args.rooms)
        with stage.connected(args.client_procs) as (clients, pids):
            clients.connect()
            if design in storms:
                step, _ = one_step(clients, load, 2000 / args.members, seconds + 5, drop_at=2)
                results[f"storm{storms[design]}"] = step
                log(f"storm     {design}: {step}")
                settle(pids)  # the ramp's first step must not pay for the storm's last replays
            if ramps and design in args.designs:
                steps, series = ramp(design, clients, pids, args.rates, seconds, log)
                results["fanout"][design] = {"design": DESIGNS[design], "steps": steps}
                plots["ramp"][design] = (steps, series)
        if design not in dict(COMPARED):
            Stage.shut_down(design)  # a baseline serves this scenario only
    if ramps:
        results["ratio"] = ratios(results["fanout"])
        log(f"ratio: {results['ratio']}")


def run_sends(args, seconds, sockets, log, results, plots):
    """The send path: the fan-out's rooms with their sender sockets only, so that the ramp finds
    what sends and acks cost, not what delivering each to 100 members costs."""
    results["sends"] = {}
    for design in in_turn([d for d in ("chatsite", "previous") if d in args.designs]):
        with Stage(design, args.rooms).connected(args.client_procs, member_sockets=False) as (clients, pids):
            clients.connect()
            steps, _ = ramp(design, clients, pids, args.send_rates, seconds, log)
        results["sends"][design] = {"design": DESIGNS[design], "steps": steps}


def run_matrix(args, seconds, sockets, log, results, plots):
    results["matrix"], plots["matrix"] = {}, {}
    target = 2000 / args.members  # sends per second giving 2,000 deliveries per second
    # The short run compares the servers on the hub; --full adds the tutorial's fan-out.
    for server, fanout in MATRIX if args.full else [(server, HUB) for server in ("daphne", "uvicorn")]:
        stage = Stage({"server": server, "fanout": fanout, "workers": WORKERS}, args.rooms)
        load = round(os.getloadavg()[0], 1)
        with stage.server() as (base, _), stage.clients(base, args.client_procs) as clients:
            clients.connect()
            step, latencies = one_step(clients, load, target, seconds)
        label = f"{server} + {fanout.rpartition('.')[2]}, {WORKERS} workers"
        results["matrix"][label] = step
        plots["matrix"][label] = latencies
        log(f"matrix    {label}: {step}")


# The designs whose storm and capacity are measured: (design, the suffix of its results key).
COMPARED = (("chatsite", ""), ("previous", "_previous"))


def compared(args):
    """chatsite, and the previous design when the run measures it."""
    return [(design, suffix) for design, suffix in COMPARED if design == "chatsite" or design in args.designs]


_turns = itertools.count()


def in_turn(designs):
    """The designs of one scenario, in the order they run: each scenario starts one further along,
    so that no design always runs first (on an idle machine) or last (after the others heated it)."""
    designs = list(designs)
    turn = next(_turns) % len(designs) if designs else 0
    return designs[turn:] + designs[:turn]


def run_capacity(args, seconds, sockets, log, results, plots):
    """First of all: the memory per socket is RSS grown over sockets, which a server whose heap
    already held (and freed) a scenario's sockets would understate."""
    for design, suffix in in_turn(compared(args)):
        stage = Stage(design)
        rooms = stage.all_rooms[: math.ceil(sockets / args.members)]
        results[f"capacity{suffix}"] = capacity(design, stage, rooms, 4, log)


def run_rest(args, seconds, sockets, log, results, plots):
    designs = in_turn([d for d in ("chatsite", "previous") if d in args.designs])
    results["rest"] = {d: rest(d, log, 300 if not args.full else 2000) for d in designs}


# In the order they run: the capacity first (see run_capacity); the storm runs in the fan-out's pass.
SCENARIOS = {
    "capacity": run_capacity,
    "fanout": run_fanout,
    "storm": run_fanout,
    "sends": run_sends,
    "matrix": run_matrix,
    "rest": run_rest,
}


def best(steps):
    ok = [s for s in steps if sustained(s)]
    return max(ok, key=lambda s: s["delivered_per_s"]) if ok else None


def ratios(fanout):
    """Ours against the baseline: the most each delivered while keeping up, ours counted only at
    a step whose p99 is no worse than the baseline's at its best."""
    base = best(fanout.get("baseline", {}).get("steps", []))
    if not base or "chatsite" not in fanout:
        return None
    fair = [s for s in fanout["chatsite"]["steps"] if sustained(s) and s["p99_ms"] <= base["p99_ms"]]
    if not fair:
        return None
    ours = max(fair, key=lambda s: s["delivered_per_s"])
    return {
        "delivered_per_s": {"chatsite": ours["delivered_per_s"], "baseline": base["delivered_per_s"]},
        "throughput_ratio": round(ours["delivered_per_s"] / base["delivered_per_s"], 2),
        "p99_ms": {"chatsite": ours["p99_ms"], "baseline": base["p99_ms"]},
    }


def report(name, results, plots):
    """A markdown table beside the JSON, and the plots."""
    lines = ["# WebSocket load", ""]
    shape = results["shape"]
    lines.append(f"Rooms: {shape['rooms']} x {shape['members']} members; {shape['seconds_per_step']} s per step.")
    lines.append("")
    header = ["design", "offered deliveries/s", "delivered/s", "p50 ms", "p95 ms", "p99 ms", "lost", "duplicated"]
    header += ["ack p99 ms", "server CPU ms per delivery", "cores the server got"]
    keys = ["offered_deliveries_per_s", "delivered_per_s", "p50_ms", "p95_ms", "p99_ms", "lost", "duplicated"]
    keys += ["ack_p99_ms", "server_cpu_ms_per_delivery", "server_cores_busy"]
    header.insert(3, "acked sends/s")
    keys.insert(2, "acked_per_s")
    for title, runs in (
        ("Fan-out ramp", [(d, s) for d, r in results.get("fanout", {}).items() for s in r["steps"]]),
        ("Send path (sender sockets only)", [(d, s) for d, r in results.get("sends", {}).items() for s in r["steps"]]),
        ("Server and fan-out at 2,000 deliveries/s", list(results.get("matrix", {}).items())),
    ):
        if not runs:
            continue
        lines += [f"## {title}", "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        for design, s in runs:
            lines.append("| " + " | ".join(str(v) for v in [design, *(s.get(k, "") for k in keys)]) + " |")
        lines.append("")
    if results.get("ratio"):
        r = results["ratio"]
        lines += [
            f"Best sustained: chatsite {r['delivered_per_s']['chatsite']}/s at p99 {r['p99_ms']['chatsite']} ms, "
            f"baseline {r['delivered_per_s']['baseline']}/s at p99 {r['p99_ms']['baseline']} ms: "
            f"**{r['throughput_ratio']}x**.",
            "",
        ]
    paragraphs = {
        "storm": (
            "## Reconnect storm",
            lambda s: (
                f"{s['storm']['clients']} clients dropped at once while {s['offered_sends_per_s']:g} sends/s "
                f"went on, then reconnected with resume: all reconnected in {s['storm']['reconnected_s']} s and caught "
                f"up in {s['storm']['caught_up_s']} s; lost {s['lost']}, duplicated {s['duplicated']}."
            ),
        ),
        "capacity": (
            "## Capacity",
            lambda c: (
                f"{c['sockets']} idle authenticated sockets ({c['server']}), after {c.get('warm_sockets', 0)} "
                f"that warmed the workers: all connected in {c['connect_all_s']} s; RSS per worker "
                f"{c['rss_mb_per_worker_before']} MB before, {c['rss_mb_per_worker_after']} MB after; "
                f"{c['kb_per_socket']} KB per socket ({c.get('kb_per_socket_from_fresh', '-')} KB counted "
                "from the fresh workers, with their one-time costs)."
            ),
        ),
    }
    for scenario, (title, sentence) in paragraphs.items():
        runs = [
            (design, results[f"{scenario}{suffix}"]) for design, suffix in COMPARED if f"{scenario}{suffix}" in results
        ]
        if runs:
            lines += [title, ""]
            for design, run in runs:
                lines += [f"{design}: {sentence(run)}", ""]
    if "rest" in results:
        lines += ["## REST send", "", "| design | clients | messages/s | p50 ms | p95 ms | p99 ms |"]
        lines.append("|---|---|---|---|---|---|")
        for design, levels in results["rest"].items():
            for level, s in levels.items():
                cells = [design, level.split()[0], s["per_second"], s["p50_ms"], s["p95_ms"], s["p99_ms"]]
                lines.append("| " + " | ".join(str(c) for c in cells) + " |")
        lines.append("")
    (RESULTS / f"{name}.md").write_text("\n".join(lines))
    plot(name, results, plots)


def plot(name, results, plots):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if "ramp" in plots:
        fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
        for design, (steps, _) in plots["ramp"].items():
            offered = [s["offered_deliveries_per_s"] for s in steps]
            left.plot(offered, [s["delivered_per_s"] for s in steps], "o-", label=design)
        # Latency at the steps the ratio compares, and ours at the baseline's load.
        ratio = results.get("ratio") or {}
        compared = {design: best(steps) for design, (steps, _) in plots["ramp"].items()}
        if ratio and "chatsite" in compared:
            ours = ratio["delivered_per_s"]["chatsite"]
            fair = [s for s in plots["ramp"]["chatsite"][0] if s["delivered_per_s"] == ours]
            compared["chatsite"] = fair[0] if fair else compared["chatsite"]
        base = compared.get("baseline")
        curves = [(d, s) for d, s in compared.items() if s]
        if base and "chatsite" in plots["ramp"]:
            same = [s for s in plots["ramp"]["chatsite"][0] if s["offered_sends_per_s"] == base["offered_sends_per_s"]]
            curves += [("chatsite", s) for s in same]
        for design, step in curves:
            values = sorted(plots["ramp"][design][1][step["offered_sends_per_s"]])
            if values:
                label = f"{design}, {step['delivered_per_s']} delivered/s"
                right.plot(values, [i / len(values) for i in range(1, len(values) + 1)], label=label)
        left.set_xlabel("offered deliveries per second")
        left.set_ylabel("delivered per second")
        left.set_title(f"Fan-out throughput, {results['shape']['rooms'] * results['shape']['members']} clients")
        right.set_xscale("log")
        right.set_xlabel("send to receipt (ms, log scale)")
        right.set_ylabel("fraction of deliveries")
        right.set_title("Latency CDF at the compared steps")
        for ax in (left, right):
            ax.grid(True, alpha=0.3)
            ax.legend()
        fig.tight_layout()
        fig.savefig(RESULTS / f"{name}_fanout.png", dpi=100)
    if "matrix" in plots:
        fig, ax = plt.subplots(figsize=(7, 4.5))
        for label, values in plots["matrix"].items():
            values = sorted(values)
            if values:
                ax.plot(values, [i / len(values) for i in range(1, len(values) + 1)], label=label)
        ax.set_xscale("log")
        ax.set_xlabel("send to receipt (ms, log scale)")
        ax.set_ylabel("fraction of deliveries")
        ax.set_title("Latency CDF at 2,000 deliveries/s, 1,000 clients")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
        fig.tight_layout()
        fig.savefig(RESULTS / f"{name}_matrix.png", dpi=100)


def _steps(results, design):
    return results.get("fanout", {}).get(design, {}).get("steps", [])


def ws_sends(results, design):
    """(acked sends/s, ack p99 ms) at the busiest step of the send path's ramp whose ack p99 was
    at most 50 ms, with every send acknowledged."""
    steps = results.get("sends", {}).get(design, {}).get("steps", [])
    ok = [s for s in steps if s["ack_p99_ms"] <= 50 and s["acked"] == s["sent"] and sends_sustained(s)]
    top = max(ok, key=lambda s: s["acked_per_s"], default=None)
    return (top["acked_per_s"], top["ack_p99_ms"]) if top else (0, None)


def sends_kept_up(results, design):
    """(acked sends/s, ack p99 ms) at the busiest step of the send path's ramp that was kept up with."""
    steps = [s for s in results.get("sends", {}).get(design, {}).get("steps", []) if sends_sustained(s)]
    top = max(steps, key=lambda s: s["acked_per_s"], default=None)
    return f"{top['acked_per_s']}/s at ack p99 {top['ack_p99_ms']} ms" if top else None


def connect_rate(capacity):
    return round(capacity["sockets"] / capacity["connect_all_s"]) if capacity["connect_all_s"] else 0


def fanout_at(results, design, p99_limit=100):
    """(deliveries/s, p99 ms) at the busiest sustained ramp step with p99 within the limit."""
    ok = [s for s in _steps(results, design) if sustained(s) and s["p99_ms"] <= p99_limit]
    top = max(ok, key=lambda s: s["delivered_per_s"], default=None)
    return (top["delivered_per_s"], top["p99_ms"]) if top else (0, None)


def target_entries(results, command):
    """One entry per target of the performance issue, from this run only. `previous` is the
    commit before the gateway app, measured in the same run (None: not part of this run)."""
    entries = []

    def add(name, goal, measured, unit, met, previous=None, note=""):
        entries.append(
            {"name": name, "goal": goal, "measured": measured, "unit": unit, "met": bool(met), "command": command}
            | ({"previous": previous} if previous is not None else {})
            | ({"note": note} if note else {})
        )

    sends, ack_p99 = ws_sends(results, "chatsite")
    before = ws_sends(results, "previous")[0] if "previous" in results.get("sends", {}) else None
    most = {design: sends_kept_up(results, design) for design in ("chatsite", "previous")}
    add(
        "WebSocket: acknowledged sends/s with ack p99 <= 50 ms",
        ">= 1000",
        sends,
        "sends/s",
        sends >= 1000,
        before,
        f"ack p99 {ack_p99} ms at that step; the send path alone: {results['shape']['rooms']} rooms' sender sockets; "
        f"most acknowledged sends/s kept up with, at any latency: {most['chatsite']} (previous {most['previous']})",
    )
    rest = results.get("rest", {})
    if "chatsite" in rest:
        ours = rest["chatsite"]["32 client(s)"]
        old = rest.get("previous", {}).get("32 client(s)")
        add(
            "REST: sends/s with 32 clients into one conversation, p99 <= 50 ms",
            ">= 800 at p99 <= 50 ms",
            ours["per_second"],
            "sends/s",
            ours["per_second"] >= 800 and ours["p99_ms"] <= 50,
            old and old["per_second"],
            f"p99 {ours['p99_ms']} ms" + (f" (previous {old['p99_ms']} ms)" if old else ""),
        )
    delivered, p99 = fanout_at(results, "chatsite")
    before = fanout_at(results, "previous")[0] if _steps(results, "previous") else None
    clients = results["shape"]["rooms"] * results["shape"]["members"]
    add(
        f"Fan-out: deliveries/s at p99 <= 100 ms, {clients} clients",
        ">= 40000",
        delivered,
        "deliveries/s",
        delivered >= 40000,
        before,
        f"p99 {p99} ms at that step",
    )
    # The 10,000 sockets in 5 s and the 50,000 held are bench.ws_hold's, a run of its own.
    capacity, old = results.get("capacity"), results.get("capacity_previous")
    if capacity:
        rate = connect_rate(capacity)
        add(
            "Connections: authenticated connects/s",
            ">= 2000",
            rate,
            "connects/s",
            rate >= 2000,
            old and connect_rate(old),
            note=f"{capacity['sockets']} sockets in {capacity['connect_all_s']} s"
            + (f" (previous: {old['sockets']} in {old['connect_all_s']} s)" if old else ""),
        )
        add(
            "Connections: memory per idle socket",
            "<= 20",
            capacity["kb_per_socket"],
            "KB",
            capacity["kb_per_socket"] <= 20,
            old and old["kb_per_socket"],
            note=f"{capacity['sockets']} sockets after {capacity.get('warm_sockets', 0)} that warmed the workers; "
            f"{capacity.get('kb_per_socket_from_fresh')} KB counted from the fresh workers"
            + (f" (previous: {old.get('kb_per_socket_from_fresh')})" if old else ""),
        )
    storm, old = results.get("storm"), results.get("storm_previous")
    if storm:
        s = storm["storm"]
        add(
            f"Reconnect storm: {s['clients']} clients caught up",
            "<= 2 s for 1,000",
            s["caught_up_s"],
            "s",
            s["clients"] >= 1000 and s["caught_up_s"] <= 2,
            old and old["storm"]["caught_up_s"],
            note=f"lost {storm['lost']}, duplicated {storm['duplicated']}"
            + (f" (previous: lost {old['lost']}, duplicated {old['duplicated']})" if old else ""),
        )
    # The storm of 10,000 is bench.ws_hold's, on its first wave of sockets.
    # The Redis Cluster target is a test's outcome, recorded by bench.cluster.
    # chatsite's steps only: the baselines are there to compare with (the tutorial's channels drop).
    steps = _steps(results, "chatsite") + [s for k, s in results.get("matrix", {}).items() if "+ hub" in k]
    steps += [storm] if storm else []
    sends = results.get("sends", {}).get("chatsite", {}).get("steps", [])
    # On the send path a loss is a send never acknowledged (no member sockets to count at).
    bad = sum(s["lost"] + s["duplicated"] for s in steps) + sum(s["sent"] - s["acked"] for s in sends[-1:])
    note = f"{len(steps) + len(sends)} steps: the ramps, the servers on the hub, the storm"
    add("chatsite's load steps: lost and duplicated deliveries", "0", bad, "deliveries", bad == 0, note=note)
    return entries


def write_targets(name, results):
    command = "make bench" if name == "ws_load" else "python -m bench.ws_load --full"
    from bench.previous import DEFAULT_COMMIT

    # The command that repeats the run names the previous design it was compared with.
    if results.get("previous_commit") not in (None, DEFAULT_COMMIT):
        command = f"BENCH_PREVIOUS={results['previous_commit']} {command}"
    entries = target_entries(results, command)
    path = RESULTS / "targets.json"
    # One entry per target: this command's earlier entries go, and so does a target of the same name
    # that a partial run (--scenarios) recorded under another command.
    names = {e["name"] for e in entries}
    earlier = json.loads(path.read_text()) if path.exists() else []
    kept = [e for e in earlier if e["command"] != command and e["name"] not in names]
    path.write_text(json.dumps(kept + entries, indent=2) + "\n")
    lines = ["", "## Targets", "", "| target | goal | measured | unit | met | previous design | note |"]
    lines.append("|---|---|---|---|---|---|---|")
    for e in entries:
        cells = [e["name"], e["goal"], e["measured"], e["unit"], "yes" if e["met"] else "**no**"]
        lines.append("| " + " | ".join(str(c) for c in [*cells, e.get("previous", ""), e.get("note", "")]) + " |")
    md = RESULTS / f"{name}.md"
    body = md.read_text().split("\n## Targets\n")[0].rstrip("\n") + "\n"  # idempotent: --targets-only
    md.write_text(body + "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
