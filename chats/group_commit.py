"""Group commit of sends made on an event loop: the WebSocket gateway's, and the REST sends of
the same server process (their sync views run in threads of that loop).

A conversation's sends queue for its row lock, which is held until the commit is flushed to disk:
one at a time, a conversation takes one send per flush. Here a send into a conversation that
arrives while the loop's previous batch for it is being written waits for that batch, and goes
with every other send that arrived meanwhile as the next one: one transaction and one flush for
all of them (chats.actions.do_send_messages, where each send keeps its own checks and outcome).

Order is kept: a conversation has at most one batch in flight per loop, and a batch keeps the
order its sends arrived in. Nothing is acknowledged before its batch committed.
"""

import asyncio
import contextvars
import os
import weakref

from asgiref.sync import SyncToAsync
from django.conf import settings
from django.db import connection

from chats.actions import SendRequest, do_send_messages, do_send_request
from chatsite.threads import in_thread


class Batches:
    """The sends of one event loop, queued per conversation."""

    def __init__(self):
        self.waiting = {}  # conversation id -> [(request, future)], while a batch of it is in flight
        self.drains = set()  # the running drain tasks (the loop keeps only weak references)

    def submit(self, request: SendRequest) -> asyncio.Future:
        key = str(request.conversation_id)
        future = asyncio.get_running_loop().create_future()
        # Seen here, so that a failure whose socket closed before awaiting it is not logged as lost.
        future.add_done_callback(_retrieved)
        queue = self.waiting.get(key)
        if queue is None:
            queue = self.waiting[key] = []
            # A context of its own: the drain serves every caller, not the first one. It must not
            # inherit a REST view's ThreadSensitiveContext, whose thread waits for this very batch
            # (on SQLite the batch runs thread-sensitive, and would queue behind that thread).
            drain = asyncio.get_running_loop().create_task(self._drain(key, queue), context=contextvars.Context())
            self.drains.add(drain)
            drain.add_done_callback(self.drains.discard)
        queue.append((request, future))
        return future

    async def _drain(self, key, queue):
        try:
            while queue:
                batch = queue[: settings.SEND_BATCH_MAX]
                del queue[: len(batch)]
                try:
                    outcomes = await in_thread(do_send_messages)([request for request, _ in batch])
                except asyncio.CancelledError:
                    _settle(batch, None)
                    raise
                except Exception as exc:  # the hop itself failed: no send of the batch counts as done
                    outcomes = [exc] * len(batch)
                _settle(batch, outcomes)
        finally:
            del self.waiting[key]
            _settle(queue, None)


def _retrieved(future):
    if not future.cancelled():
        future.exception()


def _settle(batch, outcomes):
    """Answer each waiting send: its outcome, or cancelled (the loop is going away)."""
    for i, (_, future) in enumerate(batch):
        if future.done():  # its socket closed meanwhile
            continue
        outcome = None if outcomes is None else outcomes[i]
        if outcome is None:
            future.cancel()
        elif isinstance(outcome, BaseException):
            future.set_exception(outcome)
        else:
            future.set_result(outcome)


_batches = weakref.WeakKeyDictionary()  # event loop -> Batches (a test may run several loops)


def submit(request: SendRequest) -> asyncio.Future:
    """Queue a send for its conversation's next batch, now (the order of calls is the order of
    the sends): a future of (message, created), as do_send_message answers, once it committed."""
    loop = asyncio.get_running_loop()
    batches = _batches.get(loop)
    if batches is None:
        batches = _batches[loop] = Batches()
    return batches.submit(request)


async def send(request: SendRequest):
    """(message, created), once the send's batch has committed."""
    return await submit(request)


def send_blocking(request: SendRequest):
    """send() for sync code, such as a REST view: through the batches of the event loop whose
    thread this is (a sync view under ASGI), so that concurrent sends share commits; written at
    once elsewhere (WSGI, a command, a test client) and inside a transaction, which the send
    must belong to."""
    loop = getattr(SyncToAsync.threadlocal, "main_event_loop", None)
    same_process = getattr(SyncToAsync.threadlocal, "main_event_loop_pid", None) == os.getpid()
    if loop is None or not same_process or loop.is_closed() or connection.in_atomic_block:
        return do_send_request(request)
    # The batch needs a pooled connection of its own: a thread that waited holding its own would,
    # with enough requests at once, leave none in the pool (DATABASE_POOL_MAX) for the batches
    # they all wait on. Taken again from the pool if the request reads anything afterwards.
    connection.close()
    return asyncio.run_coroutine_threadsafe(send(request), loop).result()
