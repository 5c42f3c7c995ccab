"""Fault drills on the real services, on both message stores: what a fault costs in lost,
duplicated and out-of-order events, and how long until everything is whole again.

    eval "$(scripts/services/svc env)" && .venv/bin/python -m bench.drills          # make drills
    .venv/bin/python -m bench.drills --stores sql --drills storm churn --rooms 3   # a short run

Per store (MESSAGE_STORE=sql, then =mongo on FerretDB), in a process of its own: a throwaway
PostgreSQL database (and MongoDB database), uvicorn with 3 workers on settings.prod, the outbox
relay (`manage.py relay_outbox`) into Kafka topics of the run's own prefix, and --rooms groups of
--members clients (one sender per room, the others receive). Then the drills, one after another,
with sends going on in every room:

- storm: every receiver's TCP connection cut at once; all reconnect and resume.
- worker_kill: kill -9 of one uvicorn worker; its clients reconnect to the others, and senders
  retry every unacknowledged send with its client_id.
- churn: --churners receivers drop (half clean closes, half cut connections) and resume every
  1-5 s while the senders send.
- kafka_outage: `svc stop kafka` for --kafka-seconds, then `svc start kafka`; afterwards every
  outbox event of the drill is in Kafka (read back by event id).
- relay_kill: kill -9 of the relay while it runs, then kill -9 exactly between publish and mark
  (bench.drills.relay_hook); restarted each time. No event lost; the events of the killed batch
  are sent again (at least once), which consumers drop by event id.
- redis_restart: `svc restart redis` (the fan-out's pub/sub and presence go away; sockets close
  with 4503 and resume). It disturbs every other user of that Redis for a few seconds.
- migrate_store: after the server stops, `manage.py migrate_store` to the other store, kill -9 mid
  way, then run again with --verify.

Every drill is checked against the store's log (GET .../events?after=, paged): lost (a listed seq
a receiver never got, or an acknowledged send not in the log), duplicated (a seq received twice, or
two messages of one client_id), out of order, and seqs delivered that the log never lists.
Recovery: from the fault until every client is connected, has every event acknowledged before the
fault, and every sender has had a send acknowledged after it (Kafka and relay: until the outbox is
drained; churn: from the last send until everyone has everything; migrate_store: the resumed run).

Results: bench/results/drills.{json,md,png} and one entry per drill and store in targets.json.
Services are restarted in a finally block, whatever happens.
"""

import argparse
import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from urllib.parse import urlparse, urlunparse

from bench.common import RESULTS, ROOT, bench_env, prepare_rooms, recreate_database, save, server_processes

ALL_DRILLS = ["storm", "worker_kill", "churn", "kafka_outage", "relay_kill", "redis_restart", "migrate_store"]
STORES = ["sql", "mongo"]
SVC = os.environ.get("DRILLS_SVC", str(ROOT / "scripts" / "services" / "svc"))
STARTED = time.perf_counter()


def log(text):
    print(f"drills [{time.perf_counter() - STARTED:6.1f}s] {text}", flush=True)


def svc(*args, check=True):
    done = subprocess.run([SVC, *args], capture_output=True, text=True, timeout=300)
    if check and done.returncode:
        raise RuntimeError(f"svc {' '.join(args)} failed: {done.stdout}{done.stderr}")
    return done


def service_up(name):
    return svc("status", name, check=False).returncode == 0


# --- the processes a store's drills run beside the server ---


class RelayProcess:
    def __init__(self, env):
        self.env, self.proc = env, None

    def start(self, hooked=False, hook_file=None):
        env = dict(self.env, DRILL_HOOK_FILE=hook_file or "")
        cmd = [sys.executable, "-m", "bench.drills.relay_hook"] if hooked else [sys.executable, "manage.py"]
        if not hooked:
            cmd += ["relay_outbox", "--log-every", "3600"]
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env)

    def kill9(self):
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.kill9()


def unsent():
    from streaming.models import OutboxEvent

    return OutboxEvent.objects.filter(sent_at__isnull=True).count()


def outbox_ids(since, until):
    from streaming.models import OutboxEvent

    rows = OutboxEvent.objects.filter(occurred_at__gte=since, occurred_at__lt=until)
    return {str(pk) for pk in rows.values_list("id", flat=True)}


def kafka_event_ids(prefix):
    """Every record of the run's topics, read from the beginning: event id -> times seen."""
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer(
        {
            "bootstrap.servers": os.environ["KAFKA_BOOTSTRAP_SERVERS"],
            "group.id": f"drills-{uuid.uuid4().hex}",
            "enable.auto.commit": False,
        }
    )
    try:
        topics = [t for t in consumer.list_topics(timeout=30).topics if t.startswith(prefix)]
        partitions, ends = [], {}
        for topic in topics:
            for p in consumer.list_topics(topic, timeout=30).topics[topic].partitions:
                low, high = consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=30)
                if high > low:
                    partitions.append(TopicPartition(topic, p, low))
                    ends[(topic, p)] = high
        seen = Counter()
        if not partitions:
            return seen
        consumer.assign(partitions)
        deadline = time.monotonic() + 120
        while ends and time.monotonic() < deadline:
            msg = consumer.poll(1.0)
            if msg is None or msg.error():
                continue
            seen[dict(msg.headers() or [])["event-id"].decode()] += 1
            if msg.offset() + 1 >= ends.get((msg.topic(), msg.partition()), 0):
                ends.pop((msg.topic(), msg.partition()), None)
        return seen
    finally:
        consumer.close()


def kafka_check(prefix, since, until, killed_batch=()):
    """The drill's outbox events against what Kafka holds."""
    from django.utils import timezone

    ids = outbox_ids(since, until or timezone.now())
    seen = kafka_event_ids(prefix)
    resent = {i: seen[i] - 1 for i in ids if seen[i] > 1}
    return {
        "outbox_events": len(ids),
        "kafka_lost": sum(1 for i in ids if i not in seen),
        "kafka_resent": sum(resent.values()),
        "kafka_resent_outside_killed_batch": sum(n for i, n in resent.items() if i not in set(killed_batch)),
        "duplicated_after_dedupe_by_id": 0,  # consumers keep one record per event id
    }


# --- the drills on the live server ---


class Session:
    def __init__(self, args, base, pids, relay, prefix):
        from bench.drills.fleet import Fleet

        self.args, self.pids, self.relay, self.prefix = args, pids, relay, prefix
        self.fleet = Fleet(base, connect_in_flight=args.connect_in_flight)

    async def fault_phase(self, fault, seconds=15, fault_at=4, drained=None):
        """Sends in every room for `seconds`; `fault` at `fault_at`. `drained`: an extra condition
        of recovery (a function, run in a thread)."""
        from django.utils import timezone

        fleet = self.fleet
        fleet.new_phase()
        since = timezone.now()
        sending = asyncio.ensure_future(fleet.send(self.args.rate, seconds))
        await asyncio.sleep(fault_at)
        heads = fleet.acked_heads()
        t0 = time.perf_counter()
        extra = await fault()
        t1 = extra.pop("recovery_from", t0) if isinstance(extra, dict) else t0
        recovered = await fleet.until(
            lambda: fleet.caught_up(heads) and all(s.last_ack_at and s.last_ack_at > t0 for s in fleet.senders),
            self.args.recover_timeout,
        )
        recovery = time.perf_counter() - t1 if recovered else None
        if drained is not None:
            deadline = time.perf_counter() + self.args.recover_timeout
            while not await asyncio.to_thread(drained) and time.perf_counter() < deadline:
                await asyncio.sleep(0.5)
            recovery = time.perf_counter() - t1 if await asyncio.to_thread(drained) else None
        await sending
        settled = await fleet.until(fleet.settled, 60)
        out = await fleet.check()
        out.update(recovery_s=round(recovery, 2) if recovery is not None else None, settled=settled)
        if isinstance(extra, dict):
            out.update(extra)
        out["since"] = since
        return out

    async def storm(self):
        async def fault():
            for r in self.fleet.receivers:
                r.drop(clean=False)
            return {"clients_dropped": len(self.fleet.receivers)}

        return await self.fault_phase(fault)

    async def worker_kill(self):
        async def fault():
            pids = self.pids()
            victim = random.choice(pids)
            connected = sum(p.connected for p in self.fleet.peers())
            os.kill(victim, signal.SIGKILL)
            await asyncio.sleep(0.3)
            cut = connected - sum(p.connected for p in self.fleet.peers())
            return {"killed_pid": victim, "workers": len(pids), "clients_cut": cut}

        out = await self.fault_phase(fault)
        out["workers_after"] = len(self.pids())
        return out

    async def redis_restart(self):
        async def fault():
            if not service_up("redis"):
                raise RuntimeError("redis is not up under this svc state (set CHATSITE_STATE_DIR?)")
            try:
                await asyncio.to_thread(svc, "restart", "redis")
            finally:
                if not service_up("redis"):
                    await asyncio.to_thread(svc, "start", "redis")
            return {}

        return await self.fault_phase(fault)

    async def churn(self):
        fleet, args = self.fleet, self.args
        fleet.new_phase()
        churners = fleet.receivers[: args.churners]
        stop = asyncio.Event()
        drops = Counter()

        async def churn_one(receiver):
            rng = random.Random(id(receiver))
            while not stop.is_set():
                await asyncio.sleep(rng.uniform(1, 5))
                if stop.is_set():
                    return
                clean = rng.random() < 0.5
                drops["clean" if clean else "cut"] += 1
                receiver.drop(clean=clean)

        tasks = [asyncio.ensure_future(churn_one(r)) for r in churners]
        await fleet.send(args.rate, args.churn_seconds)
        stop.set()
        t0 = time.perf_counter()
        await asyncio.gather(*tasks)
        settled = await fleet.until(fleet.settled, args.recover_timeout)
        recovery = time.perf_counter() - t0
        out = await fleet.check()
        out.update(recovery_s=round(recovery, 2) if settled else None, settled=settled, churners=len(churners))
        out.update(drops=dict(drops))
        return out

    async def kafka_outage(self):
        args = self.args

        async def fault():
            if not service_up("kafka"):
                raise RuntimeError("kafka is not up under this svc state (set CHATSITE_STATE_DIR?)")
            try:
                await asyncio.to_thread(svc, "stop", "kafka")
                log(f"  kafka stopped for {args.kafka_seconds:g} s")
                await asyncio.sleep(args.kafka_seconds)
                backlog = await asyncio.to_thread(unsent)
            finally:
                await asyncio.to_thread(svc, "start", "kafka")
            log(f"  kafka started again; {backlog} events waited in the outbox")
            return {"outbox_backlog": backlog, "recovery_from": time.perf_counter()}

        out = await self.fault_phase(fault, seconds=args.kafka_seconds + 12, fault_at=3, drained=lambda: unsent() == 0)
        out.update(await asyncio.to_thread(kafka_check, self.prefix, out["since"], None))
        return out

    async def relay_kill(self):
        hook_file = tempfile.mktemp(prefix="drills-hook-", suffix=".json")  # noqa: S306 - the hook replaces it atomically
        killed_batch = []

        async def fault():
            self.relay.kill9()  # a blind kill -9 while it runs
            await asyncio.sleep(1)
            self.relay.start(hooked=True, hook_file=hook_file)  # this one stops between publish and mark
            deadline = time.perf_counter() + 60
            while not os.path.exists(hook_file) and time.perf_counter() < deadline:
                await asyncio.sleep(0.05)
            if os.path.exists(hook_file):
                killed_batch.extend(json.loads(Path(hook_file).read_text()))
                os.unlink(hook_file)
            self.relay.kill9()
            self.relay.start()
            return {"killed_between_publish_and_mark": len(killed_batch), "recovery_from": time.perf_counter()}

        out = await self.fault_phase(fault, seconds=12, fault_at=3, drained=lambda: unsent() == 0)
        out.update(await asyncio.to_thread(kafka_check, self.prefix, out["since"], None, killed_batch))
        return out


async def live_drills(args, base, pids, relay, prefix, drills):
    session = Session(args, base, pids, relay, prefix)
    clients = len(session.fleet.receivers) + len(session.fleet.senders)
    results = {}
    try:
        for room in args.rooms_data:
            session.fleet.add_room(room, args.members - 1, f"{prefix}{uuid.uuid4().hex[:6]}")
        clients = len(session.fleet.peers())
        started = time.perf_counter()
        await session.fleet.connect_all()
        log(f"  {clients} clients connected in {time.perf_counter() - started:.1f} s")
        for drill in drills:
            log(f"  {drill} ...")
            try:
                out = await getattr(session, drill)()
            except Exception as error:
                out = {"failed": f"{type(error).__name__}: {error}"}
            out.pop("since", None)
            out["clients"] = clients
            results[drill] = out
            log(f"  {drill}: {summary(out)}")
            if not await session.fleet.until(lambda: all(p.connected for p in session.fleet.peers()), 60):
                log("  not every client is back; going on")
    finally:
        await session.fleet.close()
    return results


def migrate_drill(args, env, store, mongo_url):
    """Copy to the other store, kill -9 mid-way, run again with --verify."""
    other = "mongo" if store == "sql" else "sql"
    state = tempfile.mkdtemp(prefix="drills-migrate-")
    cmd = [sys.executable, "manage.py", "migrate_store", "--from", store, "--to", other]
    cmd += ["--batch-size", str(args.migrate_batch), "--state-dir", state, "--mongo-url", mongo_url]
    checkpoint = Path(state) / f"{store}-to-{other}.json"
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    deadline = time.perf_counter() + 120
    ranges_at_kill = None
    while proc.poll() is None and time.perf_counter() < deadline:
        if checkpoint.exists():
            time.sleep(args.migrate_kill_after)
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGKILL)
                ranges_at_kill = json.loads(checkpoint.read_text())
            break
        time.sleep(0.02)
    proc.wait(30)
    killed = ranges_at_kill is not None
    started = time.perf_counter()
    done = subprocess.run([*cmd, "--verify"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    elapsed = time.perf_counter() - started
    differs = [line for line in done.stdout.splitlines() if line.startswith("differs:")]
    return {
        "from": store,
        "to": other,
        "killed_mid_way": killed,
        "checkpoint_at_kill": ranges_at_kill,
        "resumed": "resuming after" in done.stdout or killed,
        "verified": done.returncode == 0,
        "verify_output": done.stdout.strip().splitlines()[-3:],
        "conversations_differing": len(differs),
        "lost": len(differs),
        "duplicated": 0 if done.returncode == 0 else None,
        "out_of_order": 0 if done.returncode == 0 else None,
        "recovery_s": round(elapsed, 2) if done.returncode == 0 else None,
    }


def run_store(args, store, out_path):
    """One store's drills, in this process (Django is set up once per process, for its database)."""
    run = uuid.uuid4().hex[:6]
    database = f"chatsite_drills_{store}"
    mongo_url = urlunparse(urlparse(os.environ["MONGO_URL"])._replace(path=f"/chatsite_drills_{store}_{run}"))
    prefix = f"drills{run}{store}."
    env = bench_env(
        database,
        MESSAGE_STORE=store,
        MONGO_URL=mongo_url,
        KAFKA_TOPIC_PREFIX=prefix,
        MESSAGE_RATE_LIMIT="1000000/1s",
        WS_RATE_PER_SECOND="100000",
        WS_RATE_BURST="100000",
        PRESENCE_HEARTBEAT="30",
    )
    log(f"{store}: preparing {args.rooms} rooms of {args.members} (database {database}, topics {prefix}*)")
    recreate_database(env["DATABASE_URL"])
    args.rooms_data = prepare_rooms(env, args.rooms, args.members, f"drill{store}")
    drills = [d for d in args.drills if d != "migrate_store"]
    results = {}
    relay = RelayProcess(env)
    try:
        relay.start()
        if drills:
            with server_processes(env, "uvicorn", args.workers) as (base, pids):
                results = asyncio.run(live_drills(args, base, pids, relay, prefix, drills))
    finally:
        relay.stop()
        for name in ("kafka", "redis"):  # a drill that failed half-way must not leave one down
            if not service_up(name):
                svc("start", name, check=False)
    if "migrate_store" in args.drills:
        log(f"{store}: migrate_store ...")
        other_url = mongo_url if store == "mongo" else mongo_url + "_copy"
        try:
            results["migrate_store"] = migrate_drill(args, env, store, other_url)
        except Exception as error:
            results["migrate_store"] = {"failed": f"{type(error).__name__}: {error}"}
        log(f"  migrate_store: {summary(results['migrate_store'])}")
    drop_mongo(mongo_url)
    Path(out_path).write_text(json.dumps(results, default=str))


def drop_mongo(url):
    try:
        from pymongo import MongoClient

        with MongoClient(url, serverSelectionTimeoutMS=5000) as client:
            name = urlparse(url).path[1:]
            for db in (name, name + "_copy"):
                client.drop_database(db)
    except Exception as error:
        log(f"could not drop the drill's Mongo databases: {error}")


def summary(out):
    if "failed" in out:
        return f"FAILED {out['failed']}"
    keys = ["sends", "acked", "lost", "duplicated", "out_of_order", "not_listed", "recovery_s"]
    keys += ["kafka_lost", "kafka_resent", "verified"]
    return ", ".join(f"{k} {out[k]}" for k in keys if k in out)


# --- report ---

GOAL = "0 lost, 0 duplicated"


def met(out):
    if "failed" in out:
        return False
    lost = out.get("lost") or 0
    lost += out.get("kafka_lost") or 0
    return (
        not lost
        and not out.get("duplicated")
        and out.get("recovery_s") is not None
        and out.get("verified", True)
        and not out.get("unacked")
    )


def report(results, command, args):
    lines = ["# Fault drills", "", f"`{command}`", ""]
    lines.append(
        f"{args.rooms} rooms of {args.members} clients per store (1 sender and {args.members - 1} receivers each), "
        f"{args.rate:g} sends/s per room, uvicorn with {args.workers} workers on settings.prod, PostgreSQL, Redis, "
        "Kafka and FerretDB 1.24 (for MongoDB) on 127.0.0.1, all on the same 2-core machine."
    )
    header = "| drill | store | sends | acked | lost | duplicated | out of order | not listed by events | recovery s |"
    lines += ["", header + " notes |"]
    lines.append("|---|---|---|---|---|---|---|---|---|---|")
    for drill in ALL_DRILLS:
        for store in results:
            out = results[store].get(drill)
            if out is None:
                continue
            if "failed" in out:
                lines.append(f"| {drill} | {store} | | | | | | | | failed: {out['failed']} |")
                continue
            notes = []
            if "kafka_lost" in out:
                notes.append(
                    f"outbox events {out['outbox_events']}, missing in Kafka {out['kafka_lost']}, "
                    f"re-sent {out['kafka_resent']} "
                    f"(outside the killed batch {out['kafka_resent_outside_killed_batch']})"
                )
            if "killed_between_publish_and_mark" in out:
                notes.append(f"killed batch {out['killed_between_publish_and_mark']} events")
            if "outbox_backlog" in out:
                notes.append(f"outbox backlog {out['outbox_backlog']}")
            if "verified" in out:
                notes.append(
                    f"{out['from']} to {out['to']}, killed mid-way {out['killed_mid_way']}, verified {out['verified']}"
                )
            if out.get("unacked"):
                notes.append(f"unacked {out['unacked']}")
            if out.get("retries"):
                notes.append(f"send retries {out['retries']}")
            if out.get("reconnects"):
                notes.append(f"reconnects {out['reconnects']}")
            if out.get("resyncs"):
                notes.append(f"resyncs {out['resyncs']}")
            cells = [drill, store] + [
                out.get(k, "") if out.get(k) is not None else "-"
                for k in ("sends", "acked", "lost", "duplicated", "out_of_order", "not_listed", "recovery_s")
            ]
            lines.append("| " + " | ".join(str(c) for c in [*cells, "; ".join(notes)]) + " |")
    lines += ["", "Goal for every drill: " + GOAL + "."]
    (RESULTS / "drills.md").write_text("\n".join(lines) + "\n")

    targets_path = RESULTS / "targets.json"
    targets = json.loads(targets_path.read_text()) if targets_path.exists() else []
    entries = []
    for store, drills in results.items():
        for drill, out in drills.items():
            lost = (out.get("lost") or 0) + (out.get("kafka_lost") or 0)
            entries.append(
                {
                    "name": f"drill {drill}, {store} store: lost and duplicated",
                    "goal": GOAL,
                    "measured": None if "failed" in out else f"{lost} lost, {out.get('duplicated')} duplicated",
                    "unit": "events",
                    "met": met(out),
                    "command": command,
                }
            )
    names = {e["name"] for e in entries}
    targets = [t for t in targets if t["name"] not in names] + entries
    targets_path.write_text(json.dumps(targets, indent=2) + "\n")
    plot(results)


def plot(results):
    try:
        import matplotlib
    except ImportError:
        return
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 4))
    width = 0.8 / max(1, len(results))
    for i, (store, drills) in enumerate(results.items()):
        xs = [j + i * width for j, d in enumerate(ALL_DRILLS)]
        ys = [(drills.get(d) or {}).get("recovery_s") or 0 for d in ALL_DRILLS]
        ax.bar(xs, ys, width, label=f"{store} store")
    ax.set_xticks([j + width * (len(results) - 1) / 2 for j in range(len(ALL_DRILLS))], ALL_DRILLS, rotation=20)
    ax.set_ylabel("time to recover (s)")
    ax.set_title("Fault drills: time to recover (0 lost, 0 duplicated is the goal)")
    ax.grid(True, axis="y", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(RESULTS / "drills.png", dpi=100)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stores", nargs="+", default=STORES, choices=STORES)
    parser.add_argument("--drills", nargs="+", default=ALL_DRILLS, choices=ALL_DRILLS)
    parser.add_argument("--skip", nargs="+", default=[], choices=ALL_DRILLS)
    parser.add_argument("--rooms", type=int, default=10)
    parser.add_argument("--members", type=int, default=100, help="clients per room: 1 sender, the rest receive")
    parser.add_argument("--rate", type=float, default=1.0, help="sends per second per room")
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--churners", type=int, default=100)
    parser.add_argument("--churn-seconds", type=float, default=20)
    parser.add_argument("--kafka-seconds", type=float, default=60)
    parser.add_argument("--recover-timeout", type=float, default=90)
    parser.add_argument("--connect-in-flight", type=int, default=50)
    parser.add_argument("--migrate-batch", type=int, default=10, help="seqs per migrate_store range")
    parser.add_argument("--migrate-kill-after", type=float, default=1.0, help="seconds after the first checkpoint")
    parser.add_argument("--one-store", choices=STORES, help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.drills = [d for d in args.drills if d not in args.skip]
    for name in ("DATABASE_URL", "REDIS_URL", "KAFKA_BOOTSTRAP_SERVERS", "MONGO_URL"):
        if not os.environ.get(name):
            sys.exit(f'drills: set {name} (eval "$(scripts/services/svc env)")')
    if args.one_store:
        return run_store(args, args.one_store, args.out)

    command = "python -m bench.drills " + " ".join(sys.argv[1:])
    results = {}
    for store in args.stores:
        with tempfile.NamedTemporaryFile(suffix=".json") as out:
            # A process per store: Django's settings (database, message store) are fixed at setup.
            subprocess.run(
                [sys.executable, "-m", "bench.drills", *sys.argv[1:], "--one-store", store, "--out", out.name],
                cwd=ROOT,
                check=False,
            )
            text = Path(out.name).read_text()
            results[store] = json.loads(text) if text else {"run": {"failed": "the store's drill process died"}}
    path = save("drills", {"command": command, "drills": results})
    report(results, command, args)
    bad = [f"{d} ({s})" for s, drills in results.items() for d, out in drills.items() if not met(out)]
    log(
        f"wrote {path.relative_to(ROOT)}, drills.md and drills.png; "
        + (f"NOT MET: {', '.join(bad)}" if bad else "all met")
    )


if __name__ == "__main__":
    main()
