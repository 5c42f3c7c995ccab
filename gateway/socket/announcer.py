"""The presence changes of one event loop's sockets, published together.

When many sockets open at once (a deploy, a network coming back), each announces its user to
every one of its conversations. Published one by one, that is a Redis round trip per socket and
conversation, and a handler call on every member socket in every process for each. Gathered for
PRESENCE_BATCH_SECONDS per conversation, it is one publish per conversation and batch, and one
handler call on each member socket, whoever the batch names.

Order is kept: a batch is published only once the one before it was, and a later change of the
same person in a batch replaces the earlier one.
"""

import asyncio
import logging

from django.conf import settings

from chatsite.per_loop import PerLoop
from gateway import fanout

log = logging.getLogger(__name__)


class Announcer:
    def __init__(self):
        self.pending = {}  # group -> {user id: change}, for the next batch
        self.publishing = None  # the task that publishes the batches while there are any

    def announce(self, user_id, status, groups):
        change = fanout.presence_change(user_id, status)
        for group in groups:
            self.pending.setdefault(group, {})[user_id] = change
        if self.pending and self.publishing is None:
            self.publishing = asyncio.get_running_loop().create_task(self._publish())

    async def _publish(self):
        try:
            while self.pending:
                await asyncio.sleep(settings.PRESENCE_BATCH_SECONDS)
                batch, self.pending = self.pending, {}
                messages = {group: fanout.presence_message(list(c.values())) for group, c in batch.items()}
                results = await asyncio.gather(
                    *(fanout.publish(group, message) for group, message in messages.items()), return_exceptions=True
                )
                failed = sum(isinstance(r, Exception) for r in results)
                if failed:  # a hint lost: the statuses are read again by each socket that opens
                    log.info("presence changes not announced in %s of %s conversations", failed, len(results))
        finally:
            self.publishing = None


_announcer = PerLoop(lambda loop: Announcer())


def announce(user_id, status, groups):
    """Tell `groups` of the user's new status, with the next batch of this loop."""
    _announcer().announce(user_id, status, groups)
