"""Pushes from sync code (request threads, Celery, commands) leave through one event loop thread
per process, in the order they were made."""

import asyncio
import atexit
import contextlib
import logging
import os
import threading

log = logging.getLogger(__name__)

PUSH_TIMEOUT = 5  # seconds one push may take before it is given up


class _Pusher:
    """One event loop thread per process that sends the pushes of sync code (request threads,
    Celery, commands) in the order they were made. async_to_sync outside an ASGI server would make
    a loop, and so a Redis connection, per push; and a writer never waits for Redis: while it is
    down, requests go on and their pushes are dropped (the store has the events)."""

    QUEUE_MAX = 10_000

    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self.queue = None
        self.started = threading.Event()
        threading.Thread(target=self._run, name="chat-push", daemon=True).start()
        self.started.wait()
        atexit.register(self.drain)

    def _run(self):
        asyncio.set_event_loop(self.loop)
        self.queue = asyncio.Queue(self.QUEUE_MAX)
        self.loop.create_task(self._work())
        self.started.set()
        self.loop.run_forever()

    async def _work(self):
        while True:
            send, group, message = await self.queue.get()
            try:
                await asyncio.wait_for(send(group, message), PUSH_TIMEOUT)
            except Exception:
                # The event is in the store: a socket fills the gap at the next push or on resume.
                log.warning("push to %s failed", group, exc_info=True)
            finally:
                self.queue.task_done()

    def submit(self, send, group, message):
        """`send(group, message)`: the coroutine function that pushes, run on this thread's loop."""
        self.loop.call_soon_threadsafe(self._put, (send, group, message))

    def _put(self, item):
        try:
            self.queue.put_nowait(item)
        except asyncio.QueueFull:
            log.warning("push queue full (is Redis down?): dropped a push to %s", item[1])

    def drain(self, timeout=2):
        """Give queued pushes a moment to leave before the process exits (a command, a script)."""
        drained = asyncio.wait_for(self.queue.join(), timeout)
        with contextlib.suppress(Exception):  # exiting anyway; what is left is in the store
            asyncio.run_coroutine_threadsafe(drained, self.loop).result(timeout + 1)


_pusher = None
_pusher_lock = threading.Lock()


def _the_pusher():
    global _pusher
    with _pusher_lock:
        # A forked worker (Celery prefork) has no thread behind its parent's loop.
        if _pusher is None or _pusher[0] != os.getpid():
            _pusher = (os.getpid(), _Pusher())
        return _pusher[1]


def submit(send, group, message):
    """Run `send(group, message)` (a coroutine function) on this process's push thread."""
    _the_pusher().submit(send, group, message)
