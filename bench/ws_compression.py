"""Memory a WebSocket holds in a server worker, with and without permessage-deflate.

Every browser offers permessage-deflate, and uvicorn accepts it unless told otherwise; the load
client of bench.ws_load (picows) never offers it, so that bench's memory per socket is of sockets
without compression. This one opens the same number of sockets with the websockets client, once
without compression and then with its default offer (12-bit windows) under each of the server's
WS_COMPRESSION modes that compress, each time against a fresh
server process run as the image runs it (uvicorn with uvloop, httptools and websockets-sansio),
and reads the worker's resident memory before and after. The sockets do not sign in: the server
holds each one until WS_AUTH_TIMEOUT (raised to 120 s here), which is enough to count them, and
the compression contexts are made in the handshake, before any sign-in.

Embedded defaults only (a throwaway SQLite file; nothing of the sockets reaches a database).
Writes bench/results/ws_compression.json.

    python -m bench.ws_compression [--sockets 1000] [--rounds 2]
"""

import argparse
import asyncio
import os
import resource
import tempfile
from pathlib import Path

from bench.common import SERVICE_VARIABLES, save, server_processes

# Mode -> (what the client offers, the server's WS_COMPRESSION).
MODES = {
    "without compression": (None, "message"),
    "permessage-deflate, each message alone (WS_COMPRESSION=message, the default)": ("deflate", "message"),
    "permessage-deflate, windows kept (WS_COMPRESSION=context)": ("deflate", "context"),
}


def rss_kb(pid) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


async def open_sockets(url, count, compression):
    import websockets

    opening = [
        websockets.connect(url, compression=compression, subprotocols=["chatsite.v1"], open_timeout=120)
        for _ in range(count)
    ]
    sockets = await asyncio.gather(*opening)
    return sockets, sockets[0].response.headers.get("Sec-WebSocket-Extensions")


async def measure_one(env, count, compression) -> dict:
    with server_processes(env, "uvicorn", 1) as (base, pids):
        (pid,) = pids()
        before = rss_kb(pid)
        sockets, extension = await open_sockets(base.replace("http", "ws", 1) + "/ws/v1/", count, compression)
        await asyncio.sleep(1.0)  # let the server finish each handshake's work
        after = rss_kb(pid)
        await asyncio.gather(*(socket.close() for socket in sockets))
    return {
        "rss_kb_before": before,
        "rss_kb_after": after,
        "kb_per_socket": round((after - before) / count, 1),
        "extension": extension,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sockets", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=2, help="each mode this many times, alternating")
    args = parser.parse_args()
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # a descriptor per socket, here and in the server
    with tempfile.TemporaryDirectory() as tmp:
        env = {key: value for key, value in os.environ.items() if key not in SERVICE_VARIABLES}
        env.update(
            DJANGO_SETTINGS_MODULE="settings.dev",
            READ_DOT_ENV="false",
            DATABASE_URL=f"sqlite:///{tmp}/db.sqlite3",
            WS_AUTH_TIMEOUT="120",
            LOG_LEVEL="WARNING",
        )
        runs = {mode: [] for mode in MODES}
        for round_number in range(args.rounds):
            for mode, (compression, server_mode) in MODES.items():
                result = asyncio.run(measure_one(dict(env, WS_COMPRESSION=server_mode), args.sockets, compression))
                runs[mode].append(result)
                said = f"{result['kb_per_socket']} KB a socket ({result['extension']})"
                print(f"round {round_number + 1}, {mode}: {said}", flush=True)
    results = {"sockets": args.sockets, "server": "uvicorn, 1 worker, websockets-sansio", "runs": runs}
    path = save("ws_compression", results)
    print(f"bench: wrote {path.relative_to(path.parents[2])}")


if __name__ == "__main__":
    main()
