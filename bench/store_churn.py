"""Churn on both message stores in one run: acked sends per second while readers page the log.

For each store in turn (SQL on PostgreSQL, then MongoDB, which here is FerretDB 1.24 on the same
PostgreSQL): --writers threads send into --conversations conversations for --seconds, each send in
its own transaction as chats.actions.do_send_message makes it, one in 20 rolled back after the
store wrote it (as when the outbox write fails). Meanwhile --readers threads page every
conversation's log with events_after, as replay and gap fill do, and once the writers stop they
read to the end. A send counts when its transaction has committed. Checked at the end, per store:
every reader saw every committed seq once, in order (lost, duplicated, out of order: 0), and no
rolled-back send.

The result goes to bench/results/store_churn.json, and the target (Mongo store at least half the
SQL store's acked sends/s) to bench/results/targets.json. FerretDB is not MongoDB: see the README.

    eval "$(scripts/services/svc env)" && .venv/bin/python -m bench.store_churn [--seconds 20]
"""

import argparse
import os
import sys
import threading
import time
import uuid
from itertools import pairwise

from bench.common import ROOT, record_targets, save, setup_both_stores

BENCH_DB = "chatsite_bench_churn"
ROLL_BACK_EVERY = 20
PAGE = 100
GOAL = 0.5


class RolledBack(Exception):
    pass


def churn(store, writers, readers, conversations, seconds):
    from django.db import connection, transaction

    ids = [uuid.uuid4() for _ in range(conversations)]
    committed, rolled_back, errors, latencies = [], set(), [], []
    stop = time.perf_counter() + seconds
    writing = threading.Event()
    writing.set()

    def writer(i):
        n = 0
        try:
            while time.perf_counter() < stop:
                conversation, n = ids[(i + n) % conversations], n + 1
                started = time.perf_counter()
                try:
                    with transaction.atomic():
                        message, _ = store.send(
                            conversation_id=conversation,
                            sender_id=i + 1,
                            client_id=f"w{i}-{n}",
                            text=f"churn message {n} from writer {i}",
                            parent_id=None,
                            mentions=[],
                            mention_all=False,
                        )
                        if n % ROLL_BACK_EVERY == 0:
                            raise RolledBack
                except RolledBack:
                    store.discard(message)  # what do_send_message does
                    rolled_back.add(message.id)
                    continue
                latencies.append(time.perf_counter() - started)
                committed.append((conversation, message.seq, message.id))
        except Exception as error:
            errors.append(repr(error))
        finally:
            connection.close()

    seen = {}

    def reader(r):
        last = dict.fromkeys(ids, 0)
        got = {c: [] for c in ids}
        try:
            while True:
                done = not writing.is_set()  # one more pass after the last send committed
                for c in ids:
                    while events := store.events_after(c, last[c], PAGE):
                        got[c] += [(e.seq, e.message_id) for e in events]
                        last[c] = events[-1].seq
                if done or time.perf_counter() > stop + 120:
                    break
        except Exception as error:
            errors.append(repr(error))
        finally:
            seen[r] = got
            connection.close()

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(writers)]
    reading = [threading.Thread(target=reader, args=(r,)) for r in range(readers)]
    started = time.perf_counter()
    for t in reading + threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    caught_up_started = time.perf_counter()
    writing.clear()
    for t in reading:
        t.join()
    caught_up = time.perf_counter() - caught_up_started

    lost = duplicated = disorder = phantom = 0
    for c in ids:
        expected = sorted((seq, mid) for cc, seq, mid in committed if cc == c)
        for r in range(readers):
            got = seen[r][c]
            lost += len(set(expected) - set(got))
            duplicated += len(got) - len(set(got))
            disorder += sum(1 for a, b in pairwise(got) if b[0] <= a[0])
            phantom += sum(1 for _, mid in got if mid in rolled_back)
    latencies.sort()
    return {
        "acked_sends": len(committed),
        "rolled_back_sends": len(rolled_back),
        "seconds": round(elapsed, 2),
        "acked_per_second": round(len(committed) / elapsed, 1),
        "send_p50_ms": round(latencies[len(latencies) // 2] * 1000, 1) if latencies else None,
        "send_p99_ms": round(latencies[int(len(latencies) * 0.99)] * 1000, 1) if latencies else None,
        "readers_caught_up_s": round(caught_up, 2),
        "lost": lost,
        "duplicated": duplicated,
        "out_of_order": disorder,
        "rolled_back_seen": phantom,
        "errors": errors[:5],
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20, help="send time per store (default 20)")
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--readers", type=int, default=4)
    parser.add_argument("--conversations", type=int, default=5)
    args = parser.parse_args()
    command = "python -m bench.store_churn " + " ".join(sys.argv[1:])

    print(f"bench: preparing databases {BENCH_DB} (PostgreSQL and FerretDB) ...", flush=True)
    setup_both_stores(BENCH_DB)
    from chats.backends.mongo import MongoMessageStore
    from chats.backends.sql import SqlMessageStore

    stores = {
        "sql (PostgreSQL)": SqlMessageStore(),
        "mongo (FerretDB on PostgreSQL)": MongoMessageStore(os.environ["MONGO_URL"]),
    }
    results = {}
    for label, store in stores.items():
        print(f"bench: {label}: {args.writers} writers, {args.readers} readers, {args.seconds:.0f} s ...", flush=True)
        results[label] = churn(store, args.writers, args.readers, args.conversations, args.seconds)
        print(f"bench:   {results[label]}", flush=True)
    sql, mongo = (results[label]["acked_per_second"] for label in stores)
    ratio = round(mongo / sql, 2) if sql else None
    note = "FerretDB 1.24 on PostgreSQL 15 stands in for MongoDB: these are not MongoDB's numbers"
    path = save("store_churn", {"note": note, "mongo_to_sql_ratio": ratio, **results})
    lossless = all(
        not (r["lost"] or r["duplicated"] or r["out_of_order"] or r["rolled_back_seen"] or r["errors"])
        for r in results.values()
    )
    record_targets(
        [
            {
                "name": "mongo store acked sends/s vs SQL store, store churn on FerretDB",
                "goal": f">= {GOAL} (SQL {sql}/s, Mongo {mongo}/s)",
                "measured": ratio,
                "unit": "ratio",
                "met": ratio is not None and ratio >= GOAL,
                "command": command,
            },
            {
                "name": "store churn: lost, duplicated, out-of-order or rolled-back seqs seen by readers, both stores",
                "goal": "0",
                "measured": 0 if lossless else "see store_churn.json",
                "unit": "seqs",
                "met": lossless,
                "command": command,
            },
        ]
    )
    print(f"bench: Mongo/SQL acked sends/s = {ratio}; wrote {path.relative_to(ROOT)} and bench/results/targets.json")


if __name__ == "__main__":
    main()
