"""The contract every message store adapter keeps. The contract test suite checks it on each one.

Writes assign the conversation's next seq and append one event to its log, atomically with the
change. Reads take `hidden_senders`: the ids whose messages the reader must not see (blocks).
"""

from abc import ABC, abstractmethod
from datetime import datetime
from uuid import UUID

from asgiref.sync import sync_to_async

from chats.backends.types import Chunk, Edit, Event, Message


class MessageStore(ABC):
    @abstractmethod
    def send(
        self,
        *,
        conversation_id: UUID,
        sender_id: int,
        client_id: str,
        text: str,
        parent_id: UUID | None,
        mentions: list[int],
        mention_all: bool,
        attachments: list[dict] = (),
        thread_root_id: UUID | None = None,
    ) -> tuple[Message, bool]:
        """Store a message; (message, created). A known (conversation, sender, client_id) returns the
        first message and created=False, and uses no seq. `thread_root_id`: the root message of the
        thread it replies in (the caller checked it is a top-level message of the conversation)."""

    @abstractmethod
    def find_by_client_id(self, conversation_id: UUID, sender_id: int, client_id: str) -> Message | None: ...

    @abstractmethod
    def append_event(self, conversation_id: UUID, type: str, actor_id: int | None, data: dict) -> Event:
        """Log a conversation event that is not about one message (member joined, renamed...)."""

    @abstractmethod
    def edit(self, message_id: UUID, text: str, actor_id: int) -> Event:
        """Keep the old text in the history. Raises AlreadyDone on a tombstone: edits, deletes,
        reactions and pins never touch a deleted message, even one deleted a moment ago."""

    @abstractmethod
    def delete(self, message_id: UUID, actor_id: int) -> Event:
        """Leave a tombstone: text, attachments, edit history and reactions are gone; the seq stays.
        Raises AlreadyDone if the message is a tombstone already."""

    @abstractmethod
    def add_reaction(self, message_id: UUID, user_id: int, emoji: str) -> Event:
        """Raises AlreadyDone if this user already reacted with this emoji."""

    @abstractmethod
    def remove_reaction(self, message_id: UUID, user_id: int, emoji: str) -> Event:
        """Raises AlreadyDone if there was no such reaction."""

    @abstractmethod
    def set_pinned(self, message_id: UUID, pinned: bool, actor_id: int) -> Event:
        """Raises AlreadyDone if the message already is in that state."""

    @abstractmethod
    def set_previews(self, message_id: UUID, previews: list[dict], actor_id: int | None, *, first: bool) -> Event:
        """Replace the message's link previews and log message.previewed. Raises AlreadyDone on a
        tombstone, when nothing would change, or, with `first`, once previews were ever decided."""

    @abstractmethod
    def get(self, message_id: UUID) -> Message | None: ...

    @abstractmethod
    def get_many(self, message_ids: list[UUID]) -> list[Message]:
        """The messages of these ids that exist, in any order, in a fixed number of queries."""

    @abstractmethod
    def history(self, message_id: UUID) -> list[Edit]:
        """Earlier texts of a message, oldest first."""

    @abstractmethod
    def page(
        self,
        conversation_id: UUID,
        *,
        before: int | None = None,
        after: int | None = None,
        limit: int,
        hidden_senders: set[int] = frozenset(),
        top_level: bool = False,
    ) -> list[Message]:
        """Messages in seq order: the newest `limit` below `before`, or the oldest `limit` above
        `after`, or the newest `limit` when neither is given. `top_level` leaves thread replies out
        (the main log shows them in their thread), from an index, so a page is still `limit` messages
        when the newest ones are mostly replies; seqs still count the replies."""

    @abstractmethod
    def thread_replies(
        self,
        conversation_id: UUID,
        root_id: UUID,
        *,
        before: int | None = None,
        after: int | None = None,
        limit: int,
        hidden_senders: set[int] = frozenset(),
    ) -> list[Message]:
        """The replies of one thread in seq order, tombstones included, paged like `page`."""

    @abstractmethod
    def thread_unread_counts(
        self, user_id: int, read_marks: dict[UUID, tuple[UUID, int]], hidden_senders: set[int]
    ) -> dict[UUID, int]:
        """Per thread root (read_marks: root id -> (conversation id, the reader's last read seq in
        it)): others' live replies after that seq."""

    @abstractmethod
    def pinned(self, conversation_id: UUID, hidden_senders: set[int] = frozenset()) -> list[Message]: ...

    @abstractmethod
    def events_after(self, conversation_id: UUID, seq: int, limit: int) -> list[Event]:
        """The log after `seq`, in order, at most `limit` events, each with its message."""

    @abstractmethod
    def latest_seq(self, conversation_id: UUID) -> int: ...

    @abstractmethod
    def latest_seqs(self, conversation_ids: list[UUID]) -> dict[UUID, int]:
        """`latest_seq` of each conversation (0 for one without events), in a fixed number of queries."""

    @abstractmethod
    def last_messages(self, conversation_ids: list[UUID], hidden_senders: set[int]) -> dict[UUID, Message]:
        """The newest visible top-level message of each conversation (a thread reply is not one), in a
        fixed number of queries."""

    @abstractmethod
    def unread_counts(self, user_id: int, read_marks: dict[UUID, int], hidden_senders: set[int]) -> dict[UUID, int]:
        """Per conversation: others' live top-level messages after the reader's last_read_seq
        (thread replies count in their thread: thread_unread_counts)."""

    @abstractmethod
    def search(self, conversation_ids: list[UUID], query: str, limit: int, hidden_senders: set[int]) -> list[Message]:
        """Live messages matching every word of `query`, newest first, only in these conversations."""

    @abstractmethod
    def expired(self, conversation_id: UUID, older_than: datetime, limit: int) -> list[UUID]:
        """Ids of the conversation's live (committed, not deleted) messages sent before
        `older_than`, oldest first, at most `limit`: what a retention policy deletes next."""

    @abstractmethod
    def purge_tombstones(self, older_than: datetime) -> int:
        """Remove what is left of messages deleted before `older_than` (the tombstone rows or
        documents, and anything still attached to them); return how many messages went.

        The conversation's log keeps its events and seqs: `events_after` still returns every
        event of a purged message, in order, with `message` None, and `latest_seq` does not
        change. `page`, `get` and the other reads simply no longer find the message. Work in
        bounded chunks: this runs on live data from a periodic job.
        """

    @abstractmethod
    def discard(self, message: Message) -> None:
        """Take back a send whose relational transaction rolled back (see do_send_message): the
        message and its message.created event go, its seq stays unused. A store that writes inside
        that transaction has nothing to do, the rollback already did it."""

    # --- async reads, for callers on an event loop (the WebSocket consumer). A store with an async
    # driver overrides them; the default runs the sync read in a worker thread. ---

    async def apage(self, conversation_id: UUID, **kwargs) -> list[Message]:
        return await sync_to_async(self.page)(conversation_id, **kwargs)

    async def aevents_after(self, conversation_id: UUID, seq: int, limit: int) -> list[Event]:
        return await sync_to_async(self.events_after)(conversation_id, seq, limit)

    async def alatest_seq(self, conversation_id: UUID) -> int:
        return await sync_to_async(self.latest_seq)(conversation_id)

    # --- copying between stores (manage.py migrate_store) ---

    @abstractmethod
    def counters(self, after: UUID | None, limit: int) -> list[tuple[UUID, int]]:
        """(conversation id, last seq) of the conversations that have a log, by id, after `after`."""

    @abstractmethod
    def export(self, conversation_id: UUID, after_seq: int, upto_seq: int) -> Chunk:
        """The events with a seq in (after_seq, upto_seq], the messages with a seq in that range, and
        the current state of every other message those events changed. Every change to a message is
        an event with a new seq, so copying by seq ranges also copies later edits of older messages."""

    @abstractmethod
    def load(self, chunk: Chunk) -> None:
        """Write an exported chunk, keyed by message id and by (conversation, seq): loading it twice
        changes nothing. Raises the conversation's counter to at least chunk.last_seq."""
