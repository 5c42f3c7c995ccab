"""Conversation events on one socket: exactly once and in seq order, live when the push arrives,
from the store when a push was lost or the client resumes.

Per conversation a Feed (gateway.socket.feed) decides what to send; this mixin of the consumer
reads the store when a Feed asks for it, and keeps the socket's groups equal to its feeds.
"""

import asyncio
import logging

from django.conf import settings

from chats import selectors as chat_selectors
from chats.serializers import event_frame
from chatsite.api_errors import ApiError
from chatsite.threads import in_thread
from gateway import fanout, protocol
from gateway.protocol import Close
from gateway.socket.feed import Feed

log = logging.getLogger(__name__)


class DeliveryMixin:
    STATE = ("feeds", "subscribed", "groups_lock", "held", "fill_queue", "fill_task")  # the consumer's slots

    def _init_delivery(self):
        self.feeds = {}  # conversation id (str) -> Feed
        self.subscribed = set()  # conversation ids whose group this socket is in
        self.groups_lock = asyncio.Lock()
        self.held = False
        self.fill_queue = []
        self.fill_task = None

    def _start_feeds(self, conversation_ids):
        """Feeds wait for the client's first frame: resume (replay) or anything else (live)."""
        self.held = True
        self.feeds = {cid: Feed(held=True) for cid in conversation_ids}

    # --- group messages ---

    def chat_event(self, message):
        frame = message["event"]
        cid = frame["conversation_id"]
        feed = self.feeds.get(cid)
        if feed is not None:
            self._after_release(cid, feed.live(frame))

    async def chat_membership(self, message):
        cid = message["conversation_id"]
        if not message["joined"]:
            self._forget(cid)
            return
        if cid in self.feeds:
            return
        feed = self.feeds[cid] = Feed(held=True)
        try:
            await self._sync_groups()  # subscribed before the store is read: nothing falls between
        except Exception:
            log.warning("subscribing to %s failed", cid, exc_info=True)
            return self._close(Close.SERVER_INTERRUPTED)
        seq = message.get("seq")
        self._after_release(cid, feed.release(resume_after=seq - 1 if seq else None))
        await self._tell_presence_of(await in_thread(chat_selectors.member_ids)(cid))

    # --- resume ---

    async def resume(self, conversations):
        # Where each held log ends, in one read for all of them: after a blip or a deploy most
        # clients have seen everything, and those conversations go live without a replay's reads.
        held = [str(c) for c in conversations if str(c) in self.feeds and self.feeds[str(c)].held]
        try:
            ends = await in_thread(chat_selectors.log_ends)(held) if held else {}
        except Exception:
            # Then every one replays: the replay reads the store again, and closes the socket for
            # a resume if it cannot.
            log.warning("reading where the logs end failed; replaying instead", exc_info=True)
            ends = {}
        answer = {}
        for conversation_id, seq in conversations.items():
            cid = str(conversation_id)
            feed = self.feeds.get(cid)
            if feed is None:
                answer[cid] = "not_member"
                continue
            if not feed.held and feed.last is not None and seq < feed.last:
                # Already live past that seq (the resume came after the grace): replaying would send
                # events twice, and sending the older ones now would break seq order. The client
                # fetches up to `last` over REST; events after it keep coming here.
                self._emit(protocol.resync(cid, feed.last, "already_live"))
                answer[cid] = "resync"
                continue
            if feed.held and ends.get(cid) == seq:
                self._after_release(cid, feed.release_at_end(seq))
            else:
                self._after_release(cid, feed.release(resume_after=seq))
            answer[cid] = "replay"
        return {"conversations": answer}

    def _release_held(self):
        self.held = False
        for cid, feed in list(self.feeds.items()):
            if feed.held:
                self._after_release(cid, feed.release())

    def _grace_over(self):
        if self.held and not self.closing:
            self._release_held()

    # --- sending ---

    def _deliver(self, cid, frames):
        for frame in frames:
            sent = frame.get("message")
            if sent and sent.get("sender_id") in self.blocked:
                frame = chat_selectors.hide_frame(frame)
            self._emit(frame)
            if frame["type"] == "member.left" and frame["data"].get("user_id") == self.user.pk:
                self._forget(cid)  # nothing after one's own departure
                return

    def _after_release(self, cid, released):
        frames, fill = released
        self._deliver(cid, frames)
        if fill:
            self._want_fill(cid)

    def _forget(self, cid):
        if self.feeds.pop(cid, None) is not None:
            self._spawn(self._sync_groups())

    async def _sync_groups(self):
        """Make the socket's conversation groups match its feeds. Serialized, so that a leave and a
        rejoin in quick succession end in the right state whatever order their calls run in."""
        async with self.groups_lock:
            wanted = set(self.feeds)
            add, drop = wanted - self.subscribed, self.subscribed - wanted
            await asyncio.gather(*(self.hub.join(fanout.conversation_group(c), self) for c in add))
            self.subscribed |= add
            await asyncio.gather(*(self.hub.leave(fanout.conversation_group(c), self) for c in drop))
            self.subscribed -= drop

    # --- filling gaps from the store ---

    def _want_fill(self, cid):
        if cid not in self.fill_queue:
            self.fill_queue.append(cid)
        if self.fill_task is None or self.fill_task.done():
            self.fill_task = asyncio.ensure_future(self._fill_all())

    async def _fill_all(self):
        # One conversation at a time: the replays of a socket queue for the same DB thread anyway,
        # and live events of the others keep flowing meanwhile.
        while self.fill_queue and not self.closing:
            cid = self.fill_queue.pop(0)
            try:
                await self._fill(cid)
            except ApiError:
                self._forget(cid)  # no longer readable: the user left it
            except Exception:
                log.warning("replay of %s failed", cid, exc_info=True)
                return self._close(Close.SERVER_INTERRUPTED)

    async def _fill(self, cid):
        feed, first, page = self.feeds.get(cid), True, settings.WS_REPLAY_PAGE
        while feed is not None and self.feeds.get(cid) is feed:
            after = feed.last
            bound = settings.WS_REPLAY_BOUND if first else None
            events, resync = await chat_selectors.areplay_page(self.user, cid, after, page, self.blocked, bound=bound)
            if self.feeds.get(cid) is not feed or self.closing:
                return
            if feed.last != after:
                first = True  # a resume moved the cursor while this page was read
                continue
            first = False
            if resync:
                self._emit(protocol.resync(cid, *resync))
                feed.skip_to(resync[0])
            else:
                self._deliver(cid, feed.from_store([event_frame(e) for e in events]))
                if len(events) == page:
                    continue
            if self.feeds.get(cid) is not feed:
                return
            frames, again = feed.caught_up()
            self._deliver(cid, frames)
            if not again:
                return
