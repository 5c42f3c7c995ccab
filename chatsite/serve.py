"""The web role's server: uvicorn worker processes, each listening on a socket of its own.

    python -m chatsite.serve --host 0.0.0.0 --port 8000 --workers 3

uvicorn's own supervisor (`uvicorn --workers N`) hands every worker one shared listening socket,
and whichever worker's event loop wakes first accepts every connection waiting on it: a burst of
keep-alive clients lands on one worker while the others idle. Here each worker binds its own socket
to the same address with SO_REUSEPORT, and Linux spreads new connections over the workers' sockets
by hashing each connection's addresses. The parent holds no listening socket (the kernel would route
a share of connections to it, and nobody accepts there); it restarts a worker that dies and passes
SIGTERM and SIGINT on to the workers, then waits for their graceful shutdown.

Where SO_REUSEPORT does not balance (any OS but Linux) the workers share one socket, as uvicorn's
supervisor does, and say so in the log. `--workers 1` runs the server in this process. Either way
a stop asked for by SIGTERM or SIGINT ends the process with status 0.
"""

import argparse
import contextlib
import ctypes
import logging
import multiprocessing
import os
import signal
import socket
import sys
import time
from multiprocessing.connection import wait
from pathlib import Path

import uvicorn
from uvicorn.config import STARTUP_FAILURE

logger = logging.getLogger("uvicorn.error")

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
PR_SET_PDEATHSIG = 1  # prctl(2) option: a signal the kernel sends this process when its parent ends
# A worker that dies sooner than this after its start is restarted only after this long: a crash at
# start (a broken release) then costs a process a second instead of a busy loop.
RESTART_PAUSE = 1.0
# Linux 5.14+: whether the kernel hands the connections waiting on a listening socket that closes
# to another socket of its SO_REUSEPORT group (0: they are reset).
MIGRATE_REQ = Path("/proc/sys/net/ipv4/tcp_migrate_req")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m chatsite.serve", description=__doc__.split("\n")[0])
    parser.add_argument("--app", default="chatsite.asgi:application", help="the ASGI application (module:attribute)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument(
        "--workers",
        type=int,
        default=int(os.environ.get("WEB_CONCURRENCY", 1)),
        help="worker processes (default: $WEB_CONCURRENCY, or 1)",
    )
    parser.add_argument("--backlog", type=int, default=2048, help="each listening socket's accept queue")
    parser.add_argument("--timeout-graceful-shutdown", type=int, default=None, metavar="SECONDS")
    parser.add_argument(
        "--forwarded-allow-ips",
        default=None,
        help="peers trusted to set X-Forwarded-* (default: $FORWARDED_ALLOW_IPS, or the loopback)",
    )
    parser.add_argument("--log-level", default="info")
    parser.add_argument("--no-access-log", dest="access_log", action="store_false")
    args = parser.parse_args(argv)
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    if args.port == 0 and args.workers > 1:
        parser.error("--port 0 would give each worker a port of its own")
    return args


def server_config(args):
    """uvicorn's options as production runs them. Lifespan is off because Django and Channels do
    not implement it. The loop, HTTP parser and WebSocket implementation are the ones bench/ws_load
    measured fastest."""
    return uvicorn.Config(
        args.app,
        host=args.host,
        port=args.port,
        loop="uvloop",
        http="httptools",
        ws="chatsite.websocket_protocol:WebSocketProtocol",
        lifespan="off",
        proxy_headers=True,
        forwarded_allow_ips=args.forwarded_allow_ips,
        server_header=False,
        backlog=args.backlog,
        timeout_graceful_shutdown=args.timeout_graceful_shutdown,
        log_level=args.log_level,
        access_log=args.access_log,
    )


def balances():
    """Whether each worker can have a socket of its own that the kernel balances over. Other
    systems accept SO_REUSEPORT too, but give every connection to one of the sockets."""
    return sys.platform == "linux" and hasattr(socket, "SO_REUSEPORT")


def bound(config, reuse_port):
    """A TCP socket bound to the configured address. AF_INET(6), never a socket built from a
    descriptor: uvloop sets TCP_NODELAY on what a TCP socket accepts, and one it takes for a UNIX
    socket would leave Nagle's algorithm to delay small responses."""
    family = socket.AF_INET6 if ":" in config.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((config.host, config.port))
    except OSError as exc:
        sock.close()
        logger.error("cannot listen on %s:%d: %s", config.host, config.port, exc)
        sys.exit(STARTUP_FAILURE)
    return sock


def listen(config, reuse_port):
    sock = bound(config, reuse_port)
    sock.listen(config.backlog)
    return sock


def warn_unless_queued_connections_migrate(path=MIGRATE_REQ):
    """A worker that dies (killed, or out of memory) closes its listening socket, and the kernel
    resets the connections that wait in its accept queue unless net.ipv4.tcp_migrate_req is 1: then
    it moves them to another worker's socket. A sysctl of the host's or the container's network
    namespace, not the application's to set; the log says when it is off."""
    try:
        migrates = path.read_text().strip() != "0"
    except OSError:
        return  # a kernel before 5.14 has no such setting: nothing to advise
    if not migrates:
        logger.warning(
            "net.ipv4.tcp_migrate_req is 0: a worker that dies resets the connections waiting in its "
            "accept queue; set it to 1 to have the kernel hand them to the other workers"
        )


def refuse_a_taken_port(config):
    """Exit if another server listens on the address. With SO_REUSEPORT the workers would join the
    sockets of any server of the same user on that port and silently take half its connections; a
    plain bind fails there, as starting a second server should."""
    bound(config, reuse_port=False).close()


def run_server(config, sock=None, reuse_port=True):
    """One worker: serve on `sock`, or on a socket of its own bound here. The app is imported first:
    a socket joins the kernel's group as it listens, and connections routed to it would wait
    seconds for a worker (a replacement of a killed one) still importing Django."""
    config.load()
    sock = sock or listen(config, reuse_port)
    host, port = sock.getsockname()[:2]
    logger.info("worker %d serving on %s:%d", os.getpid(), host, port)
    uvicorn.Server(config).run(sockets=[sock])


def end_with_launcher(launcher_pid):
    """Have the kernel send this worker SIGTERM (a graceful shutdown) when the launcher ends, even by
    SIGKILL or the OOM killer, which let it pass nothing on. An orphaned worker would keep its
    SO_REUSEPORT socket and its share of new connections, and a launcher started again would find
    the port taken. Linux only; elsewhere the workers share the launcher's socket and an orphan's
    fate is the platform's."""
    if sys.platform != "linux":
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:
        logger.warning("worker %d: prctl(PR_SET_PDEATHSIG) failed: %s", os.getpid(), os.strerror(ctypes.get_errno()))
    elif os.getppid() != launcher_pid:
        sys.exit(0)  # the launcher ended before the request took hold: nobody would signal this worker


class Supervisor:
    """Keeps `workers` processes running until SIGTERM or SIGINT, which it passes on to them."""

    def __init__(self, config, workers, shared_socket=None):
        self.config, self.shared_socket = config, shared_socket
        # Forked, not spawned: this process has imported nothing but uvicorn, and spawning would
        # add a resource tracker process beside the workers.
        self.context = multiprocessing.get_context("fork")
        self.slots = [None] * workers  # (process, start time) of each running worker
        self.signals = []  # stop signals received and not yet passed on
        self.stopping, self.exit_code = False, 0

    def run(self):
        """Start the workers and supervise them until all have ended; return the exit status."""
        self.wake = os.pipe()
        for fd in self.wake:
            os.set_blocking(fd, False)
        # The handler only notes the signal; the wakeup descriptor ends the wait below at once.
        signal.set_wakeup_fd(self.wake[1])
        for signum in STOP_SIGNALS:
            signal.signal(signum, self.on_signal)
        for slot in range(len(self.slots)):
            self.start(slot)
        while self.running():
            while self.signals:
                self.forward(self.signals.pop(0))
            wait([self.wake[0], *(proc.sentinel for proc, _ in self.running())], timeout=RESTART_PAUSE)
            with contextlib.suppress(BlockingIOError):
                os.read(self.wake[0], 512)
            self.reap()
        return self.exit_code

    def running(self):
        return [entry for entry in self.slots if entry]

    def on_signal(self, signum, frame):
        self.stopping = True
        self.signals.append(signum)

    def forward(self, signum):
        """Pass a stop signal on: uvicorn shuts a worker down gracefully on the first, and at once on
        a second SIGINT."""
        for proc, _ in self.running():
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, signum)

    def start(self, slot):
        proc = self.context.Process(target=self.worker_main, args=(os.getpid(),), name=f"chatsite-web-{slot}")
        proc.start()
        self.slots[slot] = proc, time.monotonic()

    def worker_main(self, launcher_pid):
        # A forked worker starts with the parent's signal plumbing, which would wake the parent.
        signal.set_wakeup_fd(-1)
        for fd in self.wake:
            os.close(fd)
        for signum in STOP_SIGNALS:
            signal.signal(signum, signal.SIG_DFL)
        end_with_launcher(launcher_pid)
        run_server(self.config, self.shared_socket)

    def reap(self):
        """Restart each worker that has ended, unless stopping. One that could not start (its address
        taken, say) stops them all: the others would fail the same way."""
        for slot, entry in enumerate(self.slots):
            if not entry or entry[0].is_alive():
                continue
            proc, started = entry
            proc.join()
            self.slots[slot] = None
            if self.stopping:
                continue
            if proc.exitcode == STARTUP_FAILURE:
                logger.error("worker %d could not start; stopping", proc.pid)
                self.stopping, self.exit_code = True, STARTUP_FAILURE
                self.forward(signal.SIGTERM)
                continue
            logger.warning("worker %d ended with exit code %s; starting another", proc.pid, proc.exitcode)
            if time.monotonic() - started < RESTART_PAUSE:
                time.sleep(RESTART_PAUSE)
            self.start(slot)


def stopped_as_asked(signum, frame):
    sys.exit(0)


def main(argv=None):
    args = parse_args(argv)
    config = server_config(args)  # also sets up uvicorn's logging
    if args.workers == 1:
        # uvicorn, once it has shut down on a signal, puts back the handlers it found and raises the
        # signal again: with the default handler the process would die of it (status 143), where
        # the launcher of several workers exits 0. This handler makes that last signal a clean exit.
        for signum in STOP_SIGNALS:
            signal.signal(signum, stopped_as_asked)
        run_server(config, reuse_port=False)
        return 0
    shared = None
    if balances():
        refuse_a_taken_port(config)
        warn_unless_queued_connections_migrate()
    else:
        logger.warning("no SO_REUSEPORT balancing on %s: the %d workers share one socket", sys.platform, args.workers)
        shared = listen(config, reuse_port=False)
    return Supervisor(config, args.workers, shared).run()


if __name__ == "__main__":
    sys.exit(main())
