"""The main log's first page when the newest messages are replies: page(top_level=True) beside what
a client had to do before it, in one run, on both message stores.

One conversation: TOPS top-level messages, every 10th of them the root of a thread of 10 replies,
then a run of RUN replies (the newest seqs). Timed per store, READS times each, interleaved:
- top_level: one page(limit=50, top_level=True), what the browser client asks now;
- whole log: pages of 50 of the whole log, going back until 50 top-level messages are in hand,
  what a client had to do for a full page before (the browser client showed the first page's
  top-level messages instead: none, here).
FerretDB 1.24 stands in for MongoDB: its numbers are not MongoDB's (see bench/store_compare.py).

    eval "$(scripts/services/svc env)" && .venv/bin/python -m bench.top_level_page [--tops N] [--run N] [--reads N]
"""

import argparse
import os
import time
import uuid
from datetime import UTC, datetime, timedelta

from bench.common import ROOT, save, setup_both_stores, summarize

BENCH_DB = "chatsite_bench_top_level"
PAGE = 50


def stores():
    from chats.backends.mongo import MongoMessageStore
    from chats.backends.sql import SqlMessageStore

    return {
        "sql (PostgreSQL)": SqlMessageStore(),
        "mongo (FerretDB on PostgreSQL)": MongoMessageStore(os.environ["MONGO_URL"]),
    }


def conversation_chunk(tops, run):
    """The conversation as a migrate_store chunk: loaded in bulk, not sent one by one."""
    from chats.backends.types import Chunk, Event, Message

    conversation = uuid.uuid4()
    start = datetime(2026, 1, 1, tzinfo=UTC)
    messages = []

    def add(root=None):
        seq = len(messages) + 1
        messages.append(
            Message(
                id=uuid.uuid4(),
                conversation_id=conversation,
                seq=seq,
                sender_id=1 + seq % 5,
                client_id=f"c{seq}",
                text=f"message {seq}",
                created_at=start + timedelta(seconds=seq),
                thread_root_id=root,
            )
        )
        return messages[-1].id

    root = None
    for n in range(tops):
        root = add()
        if n % 10 == 0:
            for _ in range(10):
                add(root)
    for _ in range(run):
        add(root)
    events = [
        Event(m.conversation_id, m.seq, "message.created", m.sender_id, m.created_at, message_id=m.id) for m in messages
    ]
    return Chunk(conversation, messages, {}, events, last_seq=len(messages))


def whole_log_pages(store, conversation):
    """(top-level messages, pages read): the newest PAGE top-level ones from pages of the whole log."""
    found, before, pages = [], None, 0
    while len(found) < PAGE:
        page = store.page(conversation, before=before, limit=PAGE)
        pages += 1
        if not page:
            break
        found = [m for m in page if m.thread_root_id is None] + found
        before = page[0].seq
    return found[-PAGE:], pages


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tops", type=int, default=1000, help="top-level messages")
    parser.add_argument("--run", type=int, default=3000, help="replies after the newest top-level message")
    parser.add_argument("--reads", type=int, default=20, help="opens of the log per way and store")
    args = parser.parse_args()

    load_at_start = os.getloadavg()[0]
    print(f"bench: preparing databases {BENCH_DB} (PostgreSQL and FerretDB) ...", flush=True)
    setup_both_stores(BENCH_DB)
    results = {}
    for label, store in stores().items():
        chunk = conversation_chunk(args.tops, args.run)
        print(f"bench: {label}: loading {len(chunk.messages)} messages ...", flush=True)
        store.load(chunk)
        conversation = chunk.conversation_id
        timings, pages = {"top_level": [], "whole log": []}, 0
        for _ in range(args.reads):  # interleaved, so that the machine's load weighs on both alike
            started = time.perf_counter()
            top = store.page(conversation, limit=PAGE, top_level=True)
            timings["top_level"].append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            whole, pages = whole_log_pages(store, conversation)
            timings["whole log"].append((time.perf_counter() - started) * 1000)
            assert [m.id for m in top] == [m.id for m in whole] and len(top) == PAGE
        row = {way: summarize(ms, sum(ms) / 1000) for way, ms in timings.items()}
        row["whole log"]["pages_per_open"] = pages
        row["p50 ratio (whole log / top_level)"] = round(row["whole log"]["p50_ms"] / row["top_level"]["p50_ms"], 1)
        print(f"bench:   {row}", flush=True)
        results[label] = row
    note = (
        f"one conversation: {args.tops} top-level messages (every 10th with 10 replies), then {args.run} replies; "
        "FerretDB 1.24 on PostgreSQL 15 stands in for MongoDB: these are not MongoDB's numbers"
    )
    loads = f"load average {load_at_start:.1f} at the start, {os.getloadavg()[0]:.1f} at the end"
    path = save("top_level_page", {"note": note, **results}, loads)
    print(f"bench: wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
