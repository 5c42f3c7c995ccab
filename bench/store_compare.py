"""The two message stores side by side on one workload: SQL on PostgreSQL and MongoDB, which here is
FerretDB 1.24 storing its documents in the same PostgreSQL server.

Measured per store: the send rate (messages/s) with 1 writer and with 8 writers (each on its own
conversation), and the latency of reading a page of 50 (p50, p99) at random points of long
conversations. FerretDB translates every command to SQL on jsonb and sorts in memory, so its numbers
say nothing about a real MongoDB: they compare the adapters' costs on this machine, no more.

    eval "$(scripts/services/svc env)" && .venv/bin/python -m bench.store_compare [--messages 3000] [--reads 500]
"""

import argparse
import os
import random
import threading
import time
import uuid

from bench.common import ROOT, plot_latency, save, setup_both_stores, summarize

BENCH_DB = "chatsite_bench_store"
PAGE = 50
WRITERS = 8


def stores():
    from pymongo import MongoClient

    from chats.backends.mongo import MongoMessageStore
    from chats.backends.sql import SqlMessageStore

    with MongoClient(os.environ["MONGO_URL"]) as client:
        client.drop_database(BENCH_DB)
    return {
        "sql (PostgreSQL)": SqlMessageStore(),
        "mongo (FerretDB on PostgreSQL)": MongoMessageStore(os.environ["MONGO_URL"]),
    }


def send(store, conversation_id, sender_id, n):
    store.send(
        conversation_id=conversation_id,
        sender_id=sender_id,
        client_id=f"b{n}",
        text=f"bench message {n} with a few words to search",
        parent_id=None,
        mentions=[],
        mention_all=False,
    )


def insert_rate(store, total, writers, deadline_s):
    """Messages per second over `writers` threads, each sending into its own conversation."""
    from django.db import connection

    conversations = [uuid.uuid4() for _ in range(writers)]
    sent = [0] * writers
    stop = time.perf_counter() + deadline_s

    def writer(i):
        try:
            while sent[i] < total // writers and time.perf_counter() < stop:
                send(store, conversations[i], i + 1, sent[i])
                sent[i] += 1
        finally:
            connection.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=writer, args=(i,)) for i in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    return conversations, {
        "messages": sum(sent),
        "seconds": round(elapsed, 2),
        "per_second": round(sum(sent) / elapsed, 1),
    }


def page_reads(store, conversations, reads):
    """Latencies (ms) of pages of 50 before a random seq, in random conversations."""
    tops = {c: store.latest_seq(c) for c in conversations}
    conversations = [c for c in conversations if tops[c] > PAGE]
    rng = random.Random(7)
    latencies = []
    for _ in range(reads):
        c = rng.choice(conversations)
        before = rng.randint(PAGE + 1, tops[c] + 1)
        started = time.perf_counter()
        page = store.page(c, before=before, limit=PAGE)
        latencies.append((time.perf_counter() - started) * 1000)
        assert len(page) == PAGE, (len(page), before)
    return latencies


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=3000, help="messages per store and writer setting")
    parser.add_argument("--reads", type=int, default=500, help="page reads per store")
    parser.add_argument("--seconds", type=float, default=120, help="time bound of each insert run")
    args = parser.parse_args()

    print(f"bench: preparing databases {BENCH_DB} (PostgreSQL and FerretDB) ...", flush=True)
    setup_both_stores(BENCH_DB)
    results, series = {}, {}
    for label, store in stores().items():
        row, conversations = {}, []
        for writers in (1, WRITERS):
            print(f"bench: {label}: {args.messages} sends by {writers} writer(s) ...", flush=True)
            written, row[f"send, {writers} writer(s)"] = insert_rate(store, args.messages, writers, args.seconds)
            conversations += written
            print(f"bench:   {row[f'send, {writers} writer(s)']}", flush=True)
        print(f"bench: {label}: {args.reads} reads of a page of {PAGE} ...", flush=True)
        started = time.perf_counter()
        latencies = page_reads(store, conversations, args.reads)
        row[f"page of {PAGE}"] = summarize(latencies, time.perf_counter() - started)
        print(f"bench:   {row[f'page of {PAGE}']}", flush=True)
        results[label], series[label] = row, latencies
    note = "FerretDB 1.24 on PostgreSQL 15 stands in for MongoDB: these are not MongoDB's numbers"
    path = save("store_compare", {"note": note, **results})
    plot = plot_latency("store_compare", series, f"Page of {PAGE}: SQL store vs Mongo store (FerretDB, not MongoDB)")
    print(f"bench: wrote {path.relative_to(ROOT)} and {plot.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
