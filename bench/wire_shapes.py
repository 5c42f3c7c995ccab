"""What building wire shapes costs: an event frame (chats.serializers.event_frame) and a client
frame's validation (gateway.protocol.parse) from the shared serializer instances they use, beside
DRF's usual way of a serializer made for each object, and a whole send through the action with
each way of building its frame. Both ways run in one process, in alternating rounds, on
PostgreSQL.

    eval "$(scripts/services/svc env)" && .venv/bin/python -m bench.wire_shapes [--sends 600]

Results: bench/results/wire_shapes.json.
"""

import argparse
import statistics
import time
import timeit

from bench.common import bench_env, prepare_group, recreate_database, save

DATABASE = "chatsite_bench_wire"
ROUNDS = 6


def per_call_us(run, number=2000) -> float:
    run()
    return round(timeit.timeit(run, number=number) / number * 1e6, 1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sends", type=int, default=600)
    args = parser.parse_args()
    env = bench_env(DATABASE, MESSAGE_RATE_LIMIT="1000000/1s")
    recreate_database(env["DATABASE_URL"])
    conversation_id, _ = prepare_group(env, 2, "wire")
    from django.contrib.auth import get_user_model

    from chats import actions
    from chats import serializers as wire
    from chats.actions import changes
    from chats.backends import get_store
    from gateway import protocol

    def frame_per_object(event):
        return dict(wire.EventSerializer(event).data)

    def parse_per_frame(raw):
        serializer = protocol.CLIENT_FRAMES[raw["type"]](data=raw)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    user = get_user_model().objects.get(username="wire0")
    for n in range(30):
        actions.do_send_message(user, conversation_id, text=f"warm-up {n}", client_id=f"w-{n}")
    event = get_store().events_after(conversation_id, 0, 100)[-1]
    raw = {"type": "send", "id": "r-1", "conversation_id": str(conversation_id), "client_id": "c-1", "text": "hi " * 20}
    results = {
        "event_frame_us": {
            "shared": per_call_us(lambda: wire.event_frame(event)),
            "per_object": per_call_us(lambda: frame_per_object(event)),
        },
        "parse_us": {
            "shared": per_call_us(lambda: protocol.parse(raw)),
            "per_object": per_call_us(lambda: parse_per_frame(raw)),
        },
    }
    sends = {"shared": [], "per_object": []}
    builders = {"shared": wire.event_frame, "per_object": frame_per_object}
    count = 0
    for round_ in range(ROUNDS):
        for way, builder in builders.items():
            changes.event_frame = builder
            for _ in range(args.sends // ROUNDS // 2):
                count += 1
                wall, cpu = time.perf_counter(), time.process_time()
                actions.do_send_message(user, conversation_id, text=f"hello {count}", client_id=f"s-{count}")
                sends[way].append(((time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000))
        print(f"bench: round {round_ + 1} of {ROUNDS}", flush=True)
    changes.event_frame = wire.event_frame
    results["send_ms"] = {
        way: {
            "n": len(times),
            "wall_p50": round(statistics.median(t[0] for t in times), 2),
            "cpu_p50": round(statistics.median(t[1] for t in times), 2),
        }
        for way, times in sends.items()
    }
    for key, value in results.items():
        print(f"bench: {key}: {value}")
    path = save("wire_shapes", results)
    print(f"bench: wrote {path.name}")


if __name__ == "__main__":
    main()
