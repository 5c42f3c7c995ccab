"""Ephemeral signals on one socket: presence, typing, read receipts and profile changes. None of
them is stored, and none crosses a block, either way."""

import asyncio
import logging

from django.conf import settings

from chatsite.threads import off_loop
from gateway import fanout, presence, protocol
from gateway.socket import announcer

log = logging.getLogger(__name__)

PRESENCE_SNAPSHOT_MAX = 2000  # people whose status a new socket is told at once


class SignalsMixin:
    """A change of someone's status or profile is published to each conversation of theirs; the
    hub hands a socket each change once, whichever shared conversation it came through
    (gateway.fanout.once)."""

    STATE = ("blocked", "blockers", "presence_batch")

    def _init_signals(self):
        self.blocked, self.blockers = frozenset(), frozenset()
        self.presence_batch = {}  # user id -> status heard, not yet sent (chat_presence)

    def _muted(self, user_id):
        return user_id in self.blocked or user_id in self.blockers

    async def _go_online(self, co_members):
        """Register the connection; the snapshot frame of who is around, and the change to announce."""
        change, statuses = await off_loop(presence.arrive)(self.user.pk, self.connection_id, co_members)
        return protocol.presence({u: s for u, s in statuses.items() if not self._muted(u)}), change

    async def _go_offline(self):
        change = await off_loop(presence.disconnect)(self.user.pk, self.connection_id)
        if change == presence.OFFLINE:
            # Not at once: a client that reconnects within the grace (a network blip, a reload)
            # would flap offline and online for everyone. The task outlives this socket.
            groups = [fanout.conversation_group(cid) for cid in self.feeds]
            asyncio.get_running_loop().create_task(_offline_after_grace(self.user.pk, groups))
        elif change:
            self._announce(change)

    async def _tell_presence_of(self, user_ids):
        """A frame with the status of these people (a new conversation's members), if any is around."""
        statuses = await off_loop(presence.statuses)([u for u in user_ids if u != self.user.pk and not self._muted(u)])
        if statuses:
            self._emit(protocol.presence(statuses))

    def _announce(self, status):
        announcer.announce(self.user.pk, status, [fanout.conversation_group(cid) for cid in self.feeds])

    async def set_presence(self, status):
        change = await off_loop(presence.set_status)(self.user.pk, self.connection_id, status)
        if change:
            self._announce(change)
        return {"status": status}

    async def send_typing(self, conversation_id):
        sent = await off_loop(presence.typing_allowed)(conversation_id, self.user.pk)
        if sent:
            message = fanout.typing_message(conversation_id, self.user.pk, settings.TYPING_EXPIRES)
            await self.publish(fanout.conversation_group(conversation_id), message)
        return {"expires_in": settings.TYPING_EXPIRES, "sent": sent}

    # --- group messages ---

    def chat_receipt(self, message):
        if message["conversation_id"] in self.feeds and not self._muted(message["user_id"]):
            self._emit(protocol.receipt(message["conversation_id"], message["user_id"], message["seq"]))

    def chat_typing(self, message):
        user_id = message["user_id"]
        if message["conversation_id"] in self.feeds and user_id != self.user.pk and not self._muted(user_id):
            self._emit(protocol.typing(message["conversation_id"], user_id, message["expires_in"]))

    def chat_profile(self, message):
        if not self._muted(message["user_id"]):
            self._emit(protocol.profile(message["user_id"]))

    def chat_presence_changes(self, message):
        for user_id, status, _stamp in message["changes"]:
            self._heard_presence(user_id, status)

    def chat_presence(self, message):
        # One change a message, as servers before chat.presence_changes send it (a rolling deploy).
        self._heard_presence(message["user_id"], message["status"])

    def _heard_presence(self, user_id, status):
        if user_id == self.user.pk or self._muted(user_id):
            return
        if not self.presence_batch:
            asyncio.get_running_loop().call_later(settings.PRESENCE_BATCH_SECONDS, self._send_presence_batch)
        self.presence_batch[user_id] = status  # a later change of the same person wins

    def _send_presence_batch(self):
        batch, self.presence_batch = self.presence_batch, {}
        # Muted again here: a block may have arrived while the batch waited.
        statuses = {u: s for u, s in batch.items() if not self._muted(u)}
        if statuses:
            self._emit(protocol.presence(statuses))


async def _offline_after_grace(user_id, groups):
    try:
        await asyncio.sleep(settings.PRESENCE_OFFLINE_GRACE)
        if user_id not in await off_loop(presence.statuses)([user_id]):
            announcer.announce(user_id, presence.OFFLINE, groups)
    except Exception:
        log.info("offline announcement of user %s failed", user_id, exc_info=True)
