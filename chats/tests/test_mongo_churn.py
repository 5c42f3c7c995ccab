"""The churn drill on the MongoDB store, small enough for CI: senders write while readers page the
log with events_after, as gap fill and replay do. Some sends roll back after their documents are
written. Every reader must see every committed seq exactly once, in order, each with its message,
and no rolled-back send, ever. The old design, where a seq was taken by inserting its event, let a
reader page past a seq whose event was still to come (issue 22: seq 175, never delivered)."""

import threading
import time
import uuid

import pytest
from django.db import connection, transaction

from chats.backends.mongo import MongoMessageStore
from testkit.services import require_service

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

SENDERS, SENDS_EACH, READERS, CONVERSATIONS = 6, 20, 3, 2
ROLL_BACK_EVERY = 5  # every fifth send of a sender rolls back
PAGE = 7  # small pages: a reader's page often ends at a seq that is being written
DEADLINE_SECONDS = 90  # the whole drill; it takes a few seconds


class RolledBack(Exception):
    pass


@pytest.fixture
def mongo(mongo_url):
    require_service("ferretdb")
    require_service("postgres")
    store = MongoMessageStore(mongo_url)
    yield store
    store.close()


def test_readers_paging_during_concurrent_sends_see_every_committed_seq_once_in_order(mongo):
    conversations = [uuid.uuid4() for _ in range(CONVERSATIONS)]
    deadline = time.monotonic() + DEADLINE_SECONDS
    committed, discarded, errors = [], [], []
    writing = threading.Event()
    writing.set()

    def sender(i):
        try:
            for n in range(SENDS_EACH):
                conversation = conversations[(i + n) % CONVERSATIONS]
                text = f"s{i}-{n}"
                try:
                    with transaction.atomic():
                        message, _ = mongo.send(
                            conversation_id=conversation,
                            sender_id=i,
                            client_id=text,
                            text=text,
                            parent_id=None,
                            mentions=[],
                            mention_all=False,
                        )
                        if n % ROLL_BACK_EVERY == ROLL_BACK_EVERY - 1:
                            raise RolledBack  # as an outbox write that fails; nobody calls discard
                    committed.append((conversation, message.seq, message.id))
                except RolledBack:
                    discarded.append(message.id)
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    seen = {(r, c): [] for r in range(READERS) for c in conversations}

    def reader(r):
        try:
            last = dict.fromkeys(conversations, 0)
            while time.monotonic() < deadline:
                done = not writing.is_set()  # read once more after the last write committed
                for conversation in conversations:
                    while events := mongo.events_after(conversation, last[conversation], PAGE):
                        seen[r, conversation].extend((e.seq, e.message_id, e.message) for e in events)
                        last[conversation] = events[-1].seq
                if done:
                    return
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    senders = [threading.Thread(target=sender, args=(i,)) for i in range(SENDERS)]
    readers = [threading.Thread(target=reader, args=(r,)) for r in range(READERS)]
    for thread in readers + senders:
        thread.start()
    for thread in senders:
        thread.join(max(0, deadline - time.monotonic()))
    writing.clear()
    for thread in readers:
        thread.join(max(0, deadline - time.monotonic()))
    assert not errors, errors
    assert not any(t.is_alive() for t in senders + readers), "the drill ran past its deadline"

    assert len(committed) == SENDERS * (SENDS_EACH - SENDS_EACH // ROLL_BACK_EVERY)
    gone = set(discarded)
    for conversation in conversations:
        expected = sorted((seq, message_id) for c, seq, message_id in committed if c == conversation)
        # Gapless: the committed sends hold exactly the seqs 1..n of their conversation.
        assert [seq for seq, _ in expected] == list(range(1, len(expected) + 1))
        assert mongo.latest_seq(conversation) == len(expected)
        for r in range(READERS):
            got = seen[r, conversation]
            assert [(seq, message_id) for seq, message_id, _ in got] == expected, f"reader {r}"
            assert all(message is not None and message.id == message_id for _, message_id, message in got)
            assert not gone & {message_id for _, message_id, _ in got}
        assert not gone & {m.id for m in mongo.page(conversation, limit=1000)}
