"""The SQL message store (Django ORM): the embedded default, and PostgreSQL in production.

Writes run inside the caller's transaction, so a message, its seq and its outbox event commit
or roll back together.
"""

from collections import defaultdict
from uuid import UUID

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Max, Q
from django.utils import timezone

from chats.backends.base import MessageStore
from chats.backends.counters import claim_next
from chats.backends.types import AlreadyDone, Chunk, Edit, Event, Message
from chats.models import SeqCounter, StoredEdit, StoredEvent, StoredMessage, StoredReaction

SEARCH_CONFIG = "simple"  # no stemming: chat text is short, multilingual and full of names


_SEND_FIELDS = [
    StoredMessage._meta.get_field(name)
    for name in (
        "id",
        "conversation_id",
        "sender_id",
        "client_id",
        "text",
        "parent_id",
        "mentions",
        "mention_all",
        "attachments",
        "created_at",
        "thread_root_id",
    )
]
_SEND_SQL = f"""
    WITH next AS (
        UPDATE {SeqCounter._meta.db_table} SET last_seq = last_seq + 1
        WHERE conversation_id = %(conversation_id)s RETURNING last_seq
    ), message AS (
        INSERT INTO {StoredMessage._meta.db_table}
            (id, conversation_id, seq, sender_id, client_id, text, parent_id, mentions, mention_all, attachments,
             created_at, thread_root_id)
        SELECT %(id)s, %(conversation_id)s, last_seq, %(sender_id)s, %(client_id)s, %(text)s, %(parent_id)s,
            %(mentions)s, %(mention_all)s, %(attachments)s, %(created_at)s, %(thread_root_id)s
        FROM next
        ON CONFLICT (conversation_id, sender_id, client_id) DO NOTHING
        RETURNING seq
    ), event AS (
        INSERT INTO {StoredEvent._meta.db_table} (conversation_id, seq, type, actor_id, message_id, data, created_at)
        SELECT %(conversation_id)s, seq, 'message.created', %(sender_id)s, %(id)s, '{{}}', %(created_at)s
        FROM message
    )
    SELECT (SELECT last_seq FROM next), (SELECT seq FROM message)
"""  # noqa: S608 # nosec B608 - only the models' own table names are interpolated
# Event's fields in its order, as the log's columns.
_EVENT_FIELDS = ("conversation_id", "seq", "type", "actor_id", "created_at", "message_id", "data")
_MESSAGE_ID = _EVENT_FIELDS.index("message_id")
_GIVE_BACK_SQL = f"UPDATE {SeqCounter._meta.db_table} SET last_seq = last_seq - 1 WHERE conversation_id = %s"  # noqa: S608 # nosec B608 - the model's own table name


class _Duplicate(Exception):
    def __init__(self, message):
        self.message = message


class SqlMessageStore(MessageStore):
    # --- writes ---

    def _next_seq(self, conversation_id):
        return claim_next(SeqCounter, conversation_id)

    def _log(self, conversation_id, type, actor_id, message_id=None, data=None, seq=None, now=None):
        event = StoredEvent.objects.create(
            conversation_id=conversation_id,
            seq=seq or self._next_seq(conversation_id),
            type=type,
            actor_id=actor_id,
            message_id=message_id,
            data=data or {},
            created_at=now or timezone.now(),
        )
        return event

    def send(
        self,
        *,
        conversation_id,
        sender_id,
        client_id,
        text,
        parent_id,
        mentions,
        mention_all,
        attachments=(),
        thread_root_id=None,
    ):
        # The row, unsaved and without its seq: both paths below write this one.
        message = StoredMessage(
            thread_root_id=thread_root_id,
            conversation_id=conversation_id,
            sender_id=sender_id,
            client_id=client_id,
            text=text,
            parent_id=parent_id,
            mentions=mentions,
            mention_all=mention_all,
            attachments=list(attachments),
            created_at=timezone.now(),
        )
        if connection.vendor == "postgresql":
            sent = self._send_in_one_statement(message)
            if sent is not None:
                return sent
        try:
            with transaction.atomic():
                message.seq = self._next_seq(conversation_id)
                # Holding the counter lock, a concurrent retry has either committed or not begun.
                existing = self.find_by_client_id(conversation_id, sender_id, client_id)
                if existing:
                    raise _Duplicate(existing)  # rolls back the seq we took
                message.save(force_insert=True)
                self._log(
                    conversation_id, "message.created", sender_id, message.id, seq=message.seq, now=message.created_at
                )
        except _Duplicate as dup:
            return dup.message, False
        return _message(message, {}), True

    def _send_in_one_statement(self, message):
        """PostgreSQL: the seq, the message and its event in one statement, so that the counter
        row's lock, which every sender of the conversation waits on until the commit, is held for
        one round trip and the commit instead of six. A retry (the same client_id) conflicts on
        message_client_unique with a committed row only (its writer held the counter lock until
        it committed): the seq goes back and the first message is the answer. None when the
        conversation has no counter row yet (the general path makes it)."""
        prep = {f.attname: f.get_db_prep_save(getattr(message, f.attname), connection) for f in _SEND_FIELDS}
        with connection.cursor() as cursor:
            cursor.execute(_SEND_SQL, prep)
            claimed, seq = cursor.fetchone()
            if claimed is None:
                return None
            if seq is None:
                cursor.execute(_GIVE_BACK_SQL, [prep["conversation_id"]])
                return self.find_by_client_id(message.conversation_id, message.sender_id, message.client_id), False
        message.seq = seq
        return _message(message, {}), True

    def append_event(self, conversation_id, type, actor_id, data):
        return _event(self._log(conversation_id, type, actor_id, data=data), None)

    def _locked(self, message_id):
        """The message row, locked; a tombstone takes no more changes (the check ran before the lock)."""
        row = StoredMessage.objects.select_for_update().get(pk=message_id)
        if row.deleted_at is not None:
            raise AlreadyDone
        return row

    def edit(self, message_id, text, actor_id):
        row = self._locked(message_id)
        now = timezone.now()
        StoredEdit.objects.create(message=row, text=row.text, replaced_at=now)
        row.text, row.edited_at = text, now
        row.save(update_fields=["text", "edited_at"])
        return self._event_for(row, "message.edited", actor_id)

    def delete(self, message_id, actor_id):
        row = self._locked(message_id)
        row.text, row.mentions, row.mention_all, row.deleted_at = "", [], False, timezone.now()
        row.pinned_at = row.pinned_by_id = None
        row.attachments = row.previews = []
        row.save(
            update_fields=[
                "text",
                "mentions",
                "mention_all",
                "attachments",
                "previews",
                "deleted_at",
                "pinned_at",
                "pinned_by_id",
            ]
        )
        row.edits.all().delete()
        row.reactions.all().delete()
        return self._event_for(row, "message.deleted", actor_id)

    def add_reaction(self, message_id, user_id, emoji):
        row = self._locked(message_id)
        try:
            with transaction.atomic():
                StoredReaction.objects.create(message=row, user_id=user_id, emoji=emoji, created_at=timezone.now())
        except IntegrityError:
            raise AlreadyDone from None
        return self._event_for(row, "reaction.added", user_id, {"emoji": emoji, "user_id": user_id})

    def remove_reaction(self, message_id, user_id, emoji):
        row = StoredMessage.objects.select_for_update().get(pk=message_id)
        if not StoredReaction.objects.filter(message=row, user_id=user_id, emoji=emoji).delete()[0]:
            raise AlreadyDone
        return self._event_for(row, "reaction.removed", user_id, {"emoji": emoji, "user_id": user_id})

    def set_pinned(self, message_id, pinned, actor_id):
        row = self._locked(message_id)
        if (row.pinned_at is not None) == pinned:
            raise AlreadyDone
        row.pinned_at, row.pinned_by_id = (timezone.now(), actor_id) if pinned else (None, None)
        row.save(update_fields=["pinned_at", "pinned_by_id"])
        return self._event_for(row, "message.pinned", actor_id, {"pinned": pinned})

    def set_previews(self, message_id, previews, actor_id, *, first):
        row = self._locked(message_id)
        if (first and row.previews is not None) or row.previews == previews:
            raise AlreadyDone
        row.previews = list(previews)
        row.save(update_fields=["previews"])
        return self._event_for(row, "message.previewed", actor_id)

    def _event_for(self, row, type, actor_id, data=None):
        event = self._log(row.conversation_id, type, actor_id, row.id, data)
        return _event(event, self.get(row.id))

    def expired(self, conversation_id, older_than, limit):
        rows = StoredMessage.objects.filter(
            conversation_id=conversation_id, deleted_at__isnull=True, created_at__lt=older_than
        )
        return list(rows.order_by("seq").values_list("pk", flat=True)[:limit])

    def purge_tombstones(self, older_than, chunk=1000):
        # Edits and reactions went at delete time (and cascade anyway); the StoredEvent rows stay,
        # so the log keeps every seq and events_after returns those events without a message.
        purged = 0
        while True:
            ids = list(StoredMessage.objects.filter(deleted_at__lt=older_than).values_list("pk", flat=True)[:chunk])
            if not ids:
                return purged
            with transaction.atomic():
                purged += (
                    StoredMessage.objects.filter(pk__in=ids, deleted_at__lt=older_than)
                    .delete()[1]
                    .get(StoredMessage._meta.label, 0)
                )

    def discard(self, message):
        pass  # written in the caller's transaction, the message went with its rollback

    # --- copying between stores ---

    def counters(self, after, limit):
        rows = SeqCounter.objects.filter(pk__gt=after) if after else SeqCounter.objects.all()
        return list(rows.order_by("pk").values_list("pk", "last_seq")[:limit])

    def export(self, conversation_id, after_seq, upto_seq):
        in_range = Q(conversation_id=conversation_id, seq__gt=after_seq, seq__lte=upto_seq)
        events = list(StoredEvent.objects.filter(in_range).order_by("seq"))
        touched = {e.message_id for e in events if e.message_id}
        messages = _with_reactions(StoredMessage.objects.filter(in_range | Q(pk__in=touched)).order_by("seq"))
        histories = defaultdict(list)
        for edit in StoredEdit.objects.filter(message_id__in=[m.id for m in messages]):
            histories[edit.message_id].append(Edit(edit.text, edit.replaced_at))
        return Chunk(
            conversation_id=conversation_id,
            messages=messages,
            histories=dict(histories),
            events=[_event(e, None) for e in events],
            last_seq=min(upto_seq, self.latest_seq(conversation_id)),
        )

    def load(self, chunk):
        now = timezone.now()  # reaction times are not part of a Message
        ids = [m.id for m in chunk.messages]
        with transaction.atomic():
            StoredMessage.objects.bulk_create(
                [_row(m) for m in chunk.messages],
                update_conflicts=True,
                unique_fields=["id"],
                update_fields=[f.name for f in StoredMessage._meta.concrete_fields if not f.primary_key],
            )
            StoredEdit.objects.filter(message_id__in=ids).delete()
            StoredEdit.objects.bulk_create(
                StoredEdit(message_id=message_id, text=e.text, replaced_at=e.replaced_at)
                for message_id, edits in chunk.histories.items()
                for e in edits
            )
            StoredReaction.objects.filter(message_id__in=ids).delete()
            StoredReaction.objects.bulk_create(
                StoredReaction(message_id=m.id, user_id=user_id, emoji=emoji, created_at=now)
                for m in chunk.messages
                for emoji, users in m.reactions.items()
                for user_id in users
            )
            StoredEvent.objects.bulk_create(
                [
                    StoredEvent(
                        conversation_id=e.conversation_id,
                        seq=e.seq,
                        type=e.type,
                        actor_id=e.actor_id,
                        message_id=e.message_id,
                        data=e.data,
                        created_at=e.created_at,
                    )
                    for e in chunk.events
                ],
                update_conflicts=True,
                unique_fields=["conversation_id", "seq"],
                update_fields=["type", "actor_id", "message_id", "data", "created_at"],
            )
            SeqCounter.objects.get_or_create(pk=chunk.conversation_id)
            SeqCounter.objects.filter(pk=chunk.conversation_id, last_seq__lt=chunk.last_seq).update(
                last_seq=chunk.last_seq
            )

    # --- reads ---

    def find_by_client_id(self, conversation_id, sender_id, client_id):
        rows = StoredMessage.objects.filter(conversation_id=conversation_id, sender_id=sender_id, client_id=client_id)
        found = _with_reactions(rows)
        return found[0] if found else None

    def get(self, message_id):
        found = _with_reactions(StoredMessage.objects.filter(pk=message_id))
        return found[0] if found else None

    def get_many(self, message_ids):
        return _with_reactions(StoredMessage.objects.filter(pk__in=list(message_ids)))

    def history(self, message_id):
        return [Edit(e.text, e.replaced_at) for e in StoredEdit.objects.filter(message_id=message_id)]

    def page(self, conversation_id, *, before=None, after=None, limit, hidden_senders=frozenset(), top_level=False):
        rows = StoredMessage.objects.filter(conversation_id=conversation_id).exclude(sender_id__in=hidden_senders)
        if top_level:
            rows = rows.filter(thread_root_id__isnull=True)  # message_top_level_idx
        if after is not None:
            rows = rows.filter(seq__gt=after).order_by("seq")
            return _with_reactions(rows[:limit])
        if before is not None:
            rows = rows.filter(seq__lt=before)
        return list(reversed(_with_reactions(rows.order_by("-seq")[:limit])))

    def thread_replies(self, conversation_id, root_id, *, before=None, after=None, limit, hidden_senders=frozenset()):
        rows = StoredMessage.objects.filter(conversation_id=conversation_id, thread_root_id=root_id)
        rows = rows.exclude(sender_id__in=hidden_senders)
        if after is not None:
            return _with_reactions(rows.filter(seq__gt=after).order_by("seq")[:limit])
        if before is not None:
            rows = rows.filter(seq__lt=before)
        return list(reversed(_with_reactions(rows.order_by("-seq")[:limit])))

    def thread_unread_counts(self, user_id, read_marks, hidden_senders):
        if not read_marks:
            return {}
        after_mark = Q()
        for root_id, (conversation_id, last_read) in read_marks.items():
            after_mark |= Q(conversation_id=conversation_id, thread_root_id=root_id, seq__gt=last_read)
        rows = (
            StoredMessage.objects.filter(after_mark, deleted_at__isnull=True)
            .exclude(sender_id=user_id)
            .exclude(sender_id__in=hidden_senders)
            .values("thread_root_id")
            .annotate(n=Count("id"))
        )
        return {row["thread_root_id"]: row["n"] for row in rows}

    def pinned(self, conversation_id, hidden_senders=frozenset()):
        rows = StoredMessage.objects.filter(conversation_id=conversation_id, pinned_at__isnull=False)
        return _with_reactions(rows.exclude(sender_id__in=hidden_senders).order_by("-pinned_at"))

    def events_after(self, conversation_id, seq, limit):
        # Rows as tuples, not models: every resuming socket reads a page of them (the fields' own
        # converters still apply).
        entries = StoredEvent.objects.filter(conversation_id=conversation_id, seq__gt=seq).order_by("seq")
        rows = list(entries.values_list(*_EVENT_FIELDS)[:limit])
        ids = {row[_MESSAGE_ID] for row in rows if row[_MESSAGE_ID]}
        messages = {m.id: m for m in _with_reactions(StoredMessage.objects.filter(pk__in=ids))} if ids else {}
        return [Event(*row, message=messages.get(row[_MESSAGE_ID])) for row in rows]

    def latest_seq(self, conversation_id):
        return SeqCounter.objects.filter(pk=conversation_id).values_list("last_seq", flat=True).first() or 0

    def latest_seqs(self, conversation_ids):
        # Plain SQL: every socket's resume asks this, and the ORM's work to build the query cost
        # several times its round trip.
        if not conversation_ids:
            return {}
        key = SeqCounter._meta.pk
        marks = ", ".join(["%s"] * len(conversation_ids))
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {key.column}, last_seq FROM {SeqCounter._meta.db_table} WHERE {key.column} IN ({marks})",  # noqa: S608  # nosec B608 - names and placeholders only
                [key.get_db_prep_value(c, connection) for c in conversation_ids],
            )
            # A UUID on PostgreSQL, its hex on SQLite.
            found = {UUID(str(c)): seq for c, seq in cursor.fetchall()}
        return {c: found.get(UUID(str(c)), 0) for c in conversation_ids}

    def last_messages(self, conversation_ids, hidden_senders):
        live = StoredMessage.objects.filter(
            conversation_id__in=conversation_ids, deleted_at__isnull=True, thread_root_id__isnull=True
        )
        live = live.exclude(sender_id__in=hidden_senders)
        newest = live.values("conversation_id").annotate(top=Max("seq"))
        wanted = Q()
        for row in newest:
            wanted |= Q(conversation_id=row["conversation_id"], seq=row["top"])
        if not wanted:
            return {}
        return {m.conversation_id: m for m in _with_reactions(StoredMessage.objects.filter(wanted))}

    def unread_counts(self, user_id, read_marks, hidden_senders):
        if not read_marks:
            return {}
        after_mark = Q()
        for conversation_id, last_read in read_marks.items():
            after_mark |= Q(conversation_id=conversation_id, seq__gt=last_read)
        rows = (
            StoredMessage.objects.filter(after_mark, deleted_at__isnull=True, thread_root_id__isnull=True)
            .exclude(sender_id=user_id)
            .exclude(sender_id__in=hidden_senders)
            .values("conversation_id")
            .annotate(n=Count("id"))
        )
        return {row["conversation_id"]: row["n"] for row in rows}

    def search(self, conversation_ids, query, limit, hidden_senders):
        rows = StoredMessage.objects.filter(conversation_id__in=conversation_ids, deleted_at__isnull=True)
        rows = rows.exclude(sender_id__in=hidden_senders)
        if connection.vendor == "postgresql":
            from django.contrib.postgres.search import SearchQuery, SearchVector

            vector = SearchVector("text", config=SEARCH_CONFIG)
            rows = rows.annotate(search=vector).filter(
                search=SearchQuery(query, config=SEARCH_CONFIG, search_type="websearch")
            )
        else:
            # SQLite has no full-text search in the ORM: every word must appear, any case.
            for word in query.split():
                rows = rows.filter(text__icontains=word)
        return _with_reactions(rows.order_by("-created_at")[:limit])


# What _message reads of a row: fetched as named tuples rather than models, since every read of
# messages (a replay page, a history page, a search) turns each row into a Message at once.
_MESSAGE_FIELDS = (
    "id",
    "conversation_id",
    "seq",
    "sender_id",
    "client_id",
    "text",
    "created_at",
    "parent_id",
    "mentions",
    "mention_all",
    "edited_at",
    "deleted_at",
    "pinned_at",
    "pinned_by_id",
    "attachments",
    "thread_root_id",
    "previews",
)


def _with_reactions(rows):
    """Messages (a query of StoredMessage) with their reactions, in two queries whatever the number
    of reactions."""
    rows = list(rows.values_list(*_MESSAGE_FIELDS, named=True))
    reactions = defaultdict(lambda: defaultdict(list))
    for r in StoredReaction.objects.filter(message_id__in=[row.id for row in rows]).order_by("id"):
        reactions[r.message_id][r.emoji].append(r.user_id)
    return [_message(row, reactions.get(row.id, {})) for row in rows]


def _row(message):
    return StoredMessage(
        id=message.id,
        conversation_id=message.conversation_id,
        seq=message.seq,
        sender_id=message.sender_id,
        client_id=message.client_id,
        text=message.text,
        parent_id=message.parent_id,
        mentions=message.mentions,
        mention_all=message.mention_all,
        attachments=list(message.attachments),
        previews=message.previews,
        created_at=message.created_at,
        edited_at=message.edited_at,
        deleted_at=message.deleted_at,
        pinned_at=message.pinned_at,
        pinned_by_id=message.pinned_by_id,
        thread_root_id=message.thread_root_id,
    )


def _message(row, reactions):
    return Message(
        id=row.id,
        conversation_id=row.conversation_id,
        seq=row.seq,
        sender_id=row.sender_id,
        client_id=row.client_id,
        text=row.text,
        created_at=row.created_at,
        parent_id=row.parent_id,
        mentions=list(row.mentions),
        mention_all=row.mention_all,
        edited_at=row.edited_at,
        deleted_at=row.deleted_at,
        pinned_at=row.pinned_at,
        pinned_by_id=row.pinned_by_id,
        reactions={emoji: list(users) for emoji, users in reactions.items()},
        attachments=list(row.attachments),
        thread_root_id=row.thread_root_id,
        previews=row.previews,
    )


def _event(row, message):
    return Event(
        conversation_id=row.conversation_id,
        seq=row.seq,
        type=row.type,
        actor_id=row.actor_id,
        created_at=row.created_at,
        message_id=row.message_id,
        data=row.data,
        message=message,
    )
