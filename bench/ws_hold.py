"""Idle sockets held: how many authenticated WebSockets chatsite's server keeps open on this
machine, how long 10,000 of them take to connect, and what each costs in memory, with a delivery
to every one of them at the end to show they are alive, not just open; and a reconnect storm of
10,000.

The server runs as in production (uvicorn workers, PostgreSQL, Redis). Rooms of 100 members are
connected in two waves by the load processes of bench.ws_load: first 10,000 sockets, timed (the
target is 10,000 in 5 s). Their member sockets are then all cut at once while their rooms' senders
go on sending, and reconnect with resume: the storm is timed until each has every message
acknowledged before the cut (the target: 10,000 in 10 s). Then the rest connect. All are held for
--hold seconds; every room gets one message, which every member socket must receive once (and the
first wave's, everything since they connected). Each load process connects from a loopback address
of its own, since one source address has about 28,000 ports towards one server port.

    eval "$(scripts/services/svc env)" && .venv/bin/python -m bench.ws_hold [--sockets 50000]

Results: bench/results/ws_hold.json, and the two targets it measures in targets.json.
"""

import argparse
import math
import os
import sys
import time

from bench.common import RESULTS, ROOT, rss_mb, save
from bench.common import record_targets as record
from bench.previous import prepare_all
from bench.ws_load import DESIGNS, Clients, server_env, settle
from chatsite.testing_server import server_processes

MEMBERS = 100
FIRST_WAVE = 10_000
HELD_GOAL = 50_000
WAVE_GOAL_S = 5
STORM_GOAL_S = 10
# The storm: the senders' rate over the first wave's rooms in all, how long they send, and when
# (seconds into the sending) every member socket of the wave is cut.
STORM_RATE, STORM_SECONDS, STORM_DROP_AT = 20, 10, 2
COMMAND = "python -m bench.ws_hold"


def rooms_for(sockets):
    # Each room has its members' sockets and a sender's socket.
    return math.ceil(sockets / (MEMBERS + 1))


def sockets_in(rooms):
    return sum(len(r["tokens"]) + 1 for r in rooms)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sockets", type=int, default=HELD_GOAL, help="sockets to open and hold in all")
    parser.add_argument("--hold", type=float, default=30, help="seconds to hold them idle before the delivery")
    # Four workers keep each under its process's limit of open files at 50,000 sockets.
    parser.add_argument("--workers", type=int, default=4, help="server worker processes")
    parser.add_argument("--client-procs", type=int, default=4, help="load processes per wave")
    args = parser.parse_args()
    if not os.environ.get("REDIS_URL") or not os.environ.get("DATABASE_URL"):
        sys.exit('bench: set DATABASE_URL and REDIS_URL (eval "$(scripts/services/svc env)")')
    started = time.perf_counter()

    def log(text):
        print(f"bench [{time.perf_counter() - started:6.1f}s] {text}", flush=True)

    spec = {**DESIGNS["chatsite"], "workers": args.workers}
    env = server_env(spec)
    count = rooms_for(args.sockets)
    log(f"preparing {count} rooms of {MEMBERS} ...")
    (rooms,) = prepare_all(ROOT, env, [{"kind": "rooms", "rooms": count, "members": MEMBERS, "prefix": "hold"}])
    first = rooms[: rooms_for(FIRST_WAVE)]
    rest = rooms[len(first) :]
    with server_processes(env, spec["server"], args.workers, cwd=ROOT) as (base, pids):
        settle(pids)
        before = {pid: rss_mb(pid) for pid in pids()}
        log(f"server up, {args.workers} workers, {sum(before.values()):.0f} MB; connecting {sockets_in(first)} ...")
        # connect_in_flight: handshakes each load process has open at once, as in the capacity scenario.
        plan = {"connect_in_flight": 100}
        with Clients(base, first, args.client_procs, env["DATABASE_URL"], first_source=2, **plan) as wave1:
            wave1_s = wave1.connect(timeout=1800)
            log(f"first wave: {sockets_in(first)} sockets in {wave1_s:.1f} s; cutting its members ...")
            # As long as the first wave's connect may take: the reconnects are that and a replay each.
            storm, _ = wave1.step(STORM_RATE, STORM_SECONDS, drop_at=STORM_DROP_AT, timeout=1800)
            log(f"storm: {storm['storm']}; connecting {sockets_in(rest)} more ...")
            second = 2 + args.client_procs
            with Clients(base, rest, args.client_procs, env["DATABASE_URL"], first_source=second, **plan) as wave2:
                wave2_s = wave2.connect(timeout=3600) if rest else 0.0
                waves = [wave1, wave2] if rest else [wave1]
                log(f"all {sockets_in(rooms)} connected; holding them {args.hold:.0f} s ...")
                time.sleep(args.hold)
                settle(pids)
                after = {pid: rss_mb(pid) for pid in pids()}
                census = [c for wave in waves for c in wave.ask("census")]
                # One message per room, which each of its members must receive once, in order.
                steps = [wave.step(len(wave.rooms), 1) for wave in waves]
    held = sum(c["open"] for c in census)
    # Each member socket's count of what its room's sender had acknowledged: lost and duplicated.
    checks = [s for s, _ in steps]
    results = {
        "sockets": sockets_in(rooms),
        "server": f"{spec['server']}, {args.workers} workers",
        "first_wave": {"sockets": sockets_in(first), "connect_s": round(wave1_s, 1)},
        "second_wave": {"sockets": sockets_in(rest), "connect_s": round(wave2_s, 1)},
        "held_after_s": args.hold,
        "open_after_hold": held,
        "reopened": sum(c["reopened"] for c in census),
        "rss_mb_per_worker_before": [round(v) for v in before.values()],
        "rss_mb_per_worker_after": [round(v) for v in after.values()],
        "kb_per_socket": round((sum(after.values()) - sum(before.values())) * 1024 / sockets_in(rooms), 1),
        "delivery": {
            "sent": sum(s["sent"] for s in checks),
            "lost": sum(s["lost"] for s in checks),
            "duplicated": sum(s["duplicated"] for s in checks),
        },
        # Lost and duplicated: of everything the wave's senders had acknowledged when the storm ended.
        "storm": {
            **storm["storm"],
            "sends_per_s": STORM_RATE,
            "lost": storm["lost"],
            "duplicated": storm["duplicated"],
            # Sockets the server closed during the storm, by close code (one refused before its hello
            # is among them), and those the clients opened again for it.
            "server_closes": storm["server_closes"],
            "reopened": storm["reopened"],
        },
    }
    log(f"results: {results}")
    path = save("ws_hold", results)
    record(entries(results))
    log(f"wrote {path.relative_to(ROOT)} and the targets in {RESULTS.relative_to(ROOT)}")


def entries(results):
    delivery = results["delivery"]
    alive = results["open_after_hold"] if delivery["lost"] == 0 and delivery["duplicated"] == 0 else 0
    wave, storm = results["first_wave"], results["storm"]
    clean = storm["lost"] == 0 and storm["duplicated"] == 0
    return [
        {
            "name": "Connections: idle sockets held on this machine",
            "goal": f">= {HELD_GOAL}",
            "measured": alive,
            "unit": "sockets",
            "met": alive >= HELD_GOAL,
            "command": COMMAND,
            "note": f"open after {results['held_after_s']:g} s idle, each then got a message "
            f"(lost {delivery['lost']}, duplicated {delivery['duplicated']}); {results['kb_per_socket']} KB a "
            f"socket over {results['server']}",
        },
        {
            "name": "Connections: 10,000 sockets connected",
            "goal": f"<= {WAVE_GOAL_S} s for 10,000",
            "measured": wave["connect_s"],
            "unit": "s",
            "met": wave["sockets"] >= FIRST_WAVE and wave["connect_s"] <= WAVE_GOAL_S,
            "command": COMMAND,
            "note": f"{wave['sockets']} sockets, authenticated, each its hello received",
        },
        {
            "name": "Reconnect storm: 10,000 clients caught up",
            "goal": f"<= {STORM_GOAL_S} s",
            "measured": storm["caught_up_s"],
            "unit": "s",
            "met": storm["clients"] >= 10_000 and storm["caught_up_s"] <= STORM_GOAL_S and clean,
            "command": COMMAND,
            "note": f"{storm['clients']} clients cut at once while {storm['sends_per_s']} sends/s went on, "
            f"{wave['sockets'] - storm['clients']} other sockets connected (the rest connect after it); all "
            f"reconnected in {storm['reconnected_s']} s; closed by the server meanwhile, by code: "
            f"{storm.get('server_closes', 'not recorded') or 'none'}; "
            f"lost {storm['lost']}, duplicated {storm['duplicated']}",
        },
    ]


if __name__ == "__main__":
    main()
