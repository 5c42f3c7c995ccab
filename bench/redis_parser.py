"""What reading the hub's pub/sub messages costs with redis-py's own reply parser and with hiredis.

Each gateway process reads every message published to the conversations its sockets are in
(gateway.fanout.lines), through redis-py's asyncio PubSub. redis-py parses replies in Python unless
hiredis, its C parser, is installed; chatsite's requirements install it. Both parsers read the same
published messages (a live event frame of about 600 bytes) on a Redis of this machine, in
alternating rounds, and the CPU of this process per message read is compared.

    eval "$(scripts/services/svc env)" && .venv/bin/python -m bench.redis_parser [--messages 20000] [--rounds 3]

Writes bench/results/redis_parser.json.
"""

import argparse
import asyncio
import json
import os
import statistics
import sys
import time

import orjson
import redis.asyncio as aioredis
from redis._parsers import _AsyncHiredisParser, _AsyncRESP3Parser

from bench.common import ROOT, save

CHANNEL = "bench:redis_parser"
FRAME = orjson.dumps(
    {
        "type": "event",
        "event": {
            "conversation_id": "7c1d6f0e-2b7a-4d51-9a6e-0f4b2c8d9e11",
            "seq": 123456,
            "type": "message.created",
            "actor_id": 42,
            "created_at": "2026-12-02T16:30:05.123456Z",
            "data": {},
            "message": {"id": "0b7e2c4a-5d1f-4e8b-9c3a-6f2d1e0a9b87", "text": "a message of ordinary length " * 8},
        },
    }
)


async def read(parser, count):
    """CPU seconds of this process to read `count` published messages with `parser`."""
    url = os.environ["REDIS_URL"]
    reader = aioredis.Redis.from_url(url, parser_class=parser)
    writer = aioredis.Redis.from_url(url)
    pubsub = reader.pubsub()
    await pubsub.subscribe(CHANNEL)
    await pubsub.get_message(timeout=5)  # the subscription's confirmation

    async def publish():
        for start in range(0, count, 500):
            async with writer.pipeline(transaction=False) as pipe:
                for _ in range(min(500, count - start)):
                    pipe.publish(CHANNEL, FRAME)
                await pipe.execute()

    publishing = asyncio.create_task(publish())
    received, cpu = 0, time.process_time()
    while received < count:
        message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=5)
        if message is None:
            raise RuntimeError(f"only {received} of {count} messages arrived")
        received += 1
    cpu = time.process_time() - cpu  # the publisher's share is the same for both parsers
    await publishing
    await pubsub.aclose()
    await reader.aclose()
    await writer.aclose()
    return cpu


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if not os.environ.get("REDIS_URL"):
        sys.exit('bench: set REDIS_URL (eval "$(scripts/services/svc env)")')
    parsers = {"redis-py (Python)": _AsyncRESP3Parser, "hiredis": _AsyncHiredisParser}
    rounds = {name: [] for name in parsers}
    for i in range(args.rounds):
        order = list(parsers) if i % 2 == 0 else list(reversed(parsers))
        for name in order:
            cpu = asyncio.run(read(parsers[name], args.messages))
            rounds[name].append(round(cpu * 1e6 / args.messages, 1))
            line = f"round {i + 1}/{args.rounds} {name}: {rounds[name][-1]} us of CPU a message"
            print(f"redis_parser: {line}", flush=True)
    median = {name: statistics.median(values) for name, values in rounds.items()}
    results = {"messages": args.messages, "frame_bytes": len(FRAME), "us_cpu_per_message": rounds, "median": median}
    path = save("redis_parser", results)
    print(json.dumps(median))
    print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
