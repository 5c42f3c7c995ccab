"""What the clients waiting on a worker see when that worker dies: answered by another worker, or
reset. Measured with net.ipv4.tcp_migrate_req at 0 and at 1, side by side in one run.

    sudo python -m bench.accept_queue [--connections 200] [--workers 2]

The web role's launcher (chatsite.serve) gives each worker a listening socket of its own in one
SO_REUSEPORT group. A worker that hangs stops accepting, and the kernel goes on routing its share
of new connections into that worker's accept queue; when the worker is then killed (a watchdog,
the OOM killer, an operator), its socket closes with those connections in it. With the sysctl at 0
the kernel resets them; at 1 it hands them to another socket of the group.

Each setting: the launcher starts on the embedded defaults, one worker is stopped (SIGSTOP), the
connections are opened, each with an HTTP request written, the stopped worker is killed, and each
connection's answer is read. A sysctl of a network namespace: the run happens in a namespace of its
own (`unshare --net`, which needs root), so the machine's setting is never touched.
"""

import argparse
import os
import shutil
import signal
import socket
import subprocess  # nosec B404 - runs the project's own launcher and unshare
import sys
import time
from pathlib import Path

from bench.common import ROOT, SERVICE_VARIABLES, save
from chatsite.testing_server import children, free_port, listening

SYSCTL = Path("/proc/sys/net/ipv4/tcp_migrate_req")
SETTINGS = ("0", "1")
START_DEADLINE = 120  # seconds for the launcher's workers to import Django on a busy machine
READ_TIMEOUT = 10  # seconds a connection may take to answer once the stopped worker is gone


def log(text):
    print(f"accept_queue: {text}", file=sys.stderr, flush=True)


def until(condition, what, seconds=START_DEADLINE):
    ends = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > ends:
            raise SystemExit(f"accept_queue: no {what} within {seconds} s")
        time.sleep(0.1)


def launcher(port, workers):
    env = {k: v for k, v in os.environ.items() if k not in SERVICE_VARIABLES}
    env.update(LOG_LEVEL="WARNING", REDIS_URL="")
    command = [sys.executable, "-m", "chatsite.serve", "--port", str(port), "--workers", str(workers)]
    return subprocess.Popen([*command, "--no-access-log", "--log-level", "warning"], cwd=ROOT, env=env)  # nosec B603


def one_setting(setting, connections, workers):
    """{answered, reset, no_answer, ...} for `connections` opened while one worker was stopped."""
    SYSCTL.write_text(setting)
    port = free_port()
    proc = launcher(port, workers)
    try:
        until(lambda: len(children(proc.pid)) == workers and listening(port) == workers, "workers listening")
        stopped = children(proc.pid)[0]
        os.kill(stopped, signal.SIGSTOP)
        opened = []
        for _ in range(connections):
            conn = socket.create_connection(("127.0.0.1", port), timeout=READ_TIMEOUT)
            conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            opened.append(conn)
        os.kill(stopped, signal.SIGKILL)
        outcome = {"answered": 0, "reset": 0, "closed": 0, "no_answer": 0}
        for conn in opened:
            try:
                first = conn.recv(12)
                outcome["answered" if first.startswith(b"HTTP/1.1") else "closed"] += 1
            except ConnectionResetError:
                outcome["reset"] += 1
            except TimeoutError:
                outcome["no_answer"] += 1
            finally:
                conn.close()
        log(f"tcp_migrate_req={setting}: {outcome}")
        return {"tcp_migrate_req": int(setting), "connections": connections, "workers": workers, **outcome}
    finally:
        proc.terminate()
        proc.wait(60)


def inside(args):
    if not SYSCTL.exists():
        raise SystemExit("accept_queue: this kernel has no net.ipv4.tcp_migrate_req (Linux 5.14 or later)")
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)  # nosec B603 B607 - a fresh namespace's loopback
    results = [one_setting(setting, args.connections, args.workers) for setting in SETTINGS]
    path = save("accept_queue", {"steps": results, "how": "one worker stopped, then killed; fresh network namespace"})
    for step in results:
        log(
            f"tcp_migrate_req={step['tcp_migrate_req']}: {step['answered']} of {step['connections']} answered, "
            f"{step['reset']} reset, {step['closed']} closed, {step['no_answer']} without an answer"
        )
    log(f"wrote {path.relative_to(ROOT)}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--connections", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inside:
        return inside(args)
    if shutil.which("unshare") is None or os.geteuid() != 0:
        raise SystemExit("accept_queue: needs root and unshare(1), for a network namespace of its own")
    command = [sys.executable, "-m", "bench.accept_queue", "--inside"]
    command += ["--connections", str(args.connections), "--workers", str(args.workers)]
    return subprocess.run(["unshare", "--net", *command], cwd=ROOT, check=False).returncode  # nosec B603 B607


if __name__ == "__main__":
    sys.exit(main())
