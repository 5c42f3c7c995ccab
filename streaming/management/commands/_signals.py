import signal
import threading


def stop_on_signals():
    """An Event set by SIGTERM or SIGINT: the loop finishes its batch, then exits cleanly."""
    stop = threading.Event()

    def request_stop(signum, _frame):
        stop.set()

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, request_stop)
    return stop
