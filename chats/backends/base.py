"""The contract every message store adapter keeps. The contract test suite checks it on each one.

Writes assign the conversation's next seq and append one event to its log, atomically with the
change. Reads take `hidden_senders`: the ids whose messages the reader must not see (blocks).
"""

from abc import ABC, abstractmethod
from uuid import UUID

from chats.backends.types import Edit, Event, Message


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
    ) -> tuple[Message, bool]:
        """Store a message; (message, created). A known (conversation, sender, client_id) returns the
        first message and created=False, and uses no seq."""

    @abstractmethod
    def find_by_client_id(self, conversation_id: UUID, sender_id: int, client_id: str) -> Message | None: ...

    @abstractmethod
    def append_event(self, conversation_id: UUID, type: str, actor_id: int | None, data: dict) -> Event:
        """Log a conversation event that is not about one message (member joined, renamed...)."""

    @abstractmethod
    def edit(self, message_id: UUID, text: str, actor_id: int) -> Event: ...

    @abstractmethod
    def delete(self, message_id: UUID, actor_id: int) -> Event:
        """Leave a tombstone: text, edit history and reactions are gone; the seq stays."""

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
    def get(self, message_id: UUID) -> Message | None: ...

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
    ) -> list[Message]:
        """Messages in seq order: the newest `limit` below `before`, or the oldest `limit` above
        `after`, or the newest `limit` when neither is given."""

    @abstractmethod
    def pinned(self, conversation_id: UUID, hidden_senders: set[int] = frozenset()) -> list[Message]: ...

    @abstractmethod
    def events_after(self, conversation_id: UUID, seq: int, limit: int) -> list[Event]:
        """The log after `seq`, in order, at most `limit` events, each with its message."""

    @abstractmethod
    def latest_seq(self, conversation_id: UUID) -> int: ...

    @abstractmethod
    def last_messages(self, conversation_ids: list[UUID], hidden_senders: set[int]) -> dict[UUID, Message]:
        """The newest visible message of each conversation, in a fixed number of queries."""

    @abstractmethod
    def unread_counts(self, user_id: int, read_marks: dict[UUID, int], hidden_senders: set[int]) -> dict[UUID, int]:
        """Per conversation: others' live messages after the reader's last_read_seq."""

    @abstractmethod
    def search(self, conversation_ids: list[UUID], query: str, limit: int, hidden_senders: set[int]) -> list[Message]:
        """Live messages matching every word of `query`, newest first, only in these conversations."""
