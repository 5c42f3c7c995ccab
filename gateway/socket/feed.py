"""Exactly-once, in-order delivery of one conversation's events on one socket.

Live pushes are hints: one may be lost (a Redis hiccup, a full channel), late, or repeat what a
replay already sent. The store is the truth. A Feed remembers the last seq it delivered and, for
every frame that comes in, delivers it, drops it as already delivered, or keeps it until a read
from the store has filled the gap before it. It does no I/O itself: when it answers that a fill is
needed, the consumer reads the store after `last` and hands the pages back, in order.
"""

PENDING_MAX = 1000  # frames kept while waiting; beyond that the store gives them again


class Feed:
    __slots__ = ("_forgot", "_held_from", "filling", "held", "last", "pending")  # one per conversation and socket

    def __init__(self, last=None, held=False):
        self.last = last  # the last seq delivered; None until the first one is known
        self.pending = {}  # seq -> live frame not deliverable yet
        self.held = held  # waiting for the client to say where to start (resume or not)
        self.filling = False  # a read from the store is due or running
        self._held_from = None  # first seq that arrived while held, once pending overflowed
        self._forgot = False  # pending overflowed while filling: read again before stopping

    def live(self, frame):
        """A pushed frame -> (frames to send now, whether a fill must start)."""
        seq = frame["seq"]
        if self.last is not None and seq <= self.last:
            return [], False
        if self.held or self.filling:
            self._keep(seq, frame)
            return [], False
        if self.last is None or seq == self.last + 1:
            self.pending[seq] = frame
            return self._drain(), False
        # A gap before this frame: its predecessor's push was lost or is late. The store has it,
        # since every push leaves after its commit.
        self._keep(seq, frame)
        self.filling = True
        return [], True

    def release(self, resume_after=None):
        """The client chose: replay after a seq (a fill starts), or live from now."""
        self.held = False
        if resume_after is not None:
            # Never behind what this socket already delivered: a resume that reached the server
            # after the grace had started the feed live would otherwise send those events twice.
            self.last = resume_after if self.last is None else max(self.last, resume_after)
            self._held_from = None
            self.filling = True
            return [], True
        if self._held_from is not None:
            self.last, self._held_from = self._held_from - 1, None
            self.filling = True
            return [], True
        if self.pending and self.last is None:
            self.last = min(self.pending) - 1
        frames = self._drain()
        if self.pending:
            self.filling = True
            return frames, True
        return frames, False

    def release_at_end(self, seq):
        """The client saw up to `seq`, which was the end of the log when read after this socket
        joined the conversation's group: live from there, with no read from the store. What
        committed after that read is pushed; a gap among the frames kept meanwhile asks for a fill."""
        overflowed = self._held_from is not None
        released = self.release(resume_after=seq)
        if overflowed:
            return released  # frames were forgotten while held: the store gives them again
        return self.caught_up()

    def from_store(self, frames):
        """A page read from the store after `last`, in seq order -> the frames to send."""
        out = []
        for frame in frames:
            if frame["seq"] > self.last:
                self.last = frame["seq"]
                out.append(frame)
        return out

    def caught_up(self):
        """The last read reached the end of the log -> (frames to send, whether to read again)."""
        frames = self._drain()
        if self.pending or self._forgot:
            # Pushed, hence committed, after that read began: another read will see them.
            self._forgot = False
            return frames, True
        self.filling = False
        return frames, False

    def skip_to(self, seq):
        """Jump past what cannot be replayed (after a resync)."""
        self.last = seq
        self.pending = {s: frame for s, frame in self.pending.items() if s > seq}

    def _keep(self, seq, frame):
        if self._held_from is not None:
            self._held_from = min(self._held_from, seq)
        elif len(self.pending) < PENDING_MAX:
            self.pending[seq] = frame
        else:
            # Too many waiting: forget them; the store gives them again.
            if self.held:
                self._held_from = min(seq, *self.pending)
            else:
                self._forgot = True
            self.pending.clear()

    def _drain(self):
        out = []
        for seq in sorted(self.pending):
            if self.last is not None and seq <= self.last:
                del self.pending[seq]
            elif self.last is None or seq == self.last + 1:
                out.append(self.pending.pop(seq))
                self.last = seq
            else:
                break
        return out
