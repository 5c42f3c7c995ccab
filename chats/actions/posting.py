"""Writing one new message into the store with its events: shared by a send and by a moderator's
release of a held send, so both post exactly alike."""

from contextlib import contextmanager
from dataclasses import replace

from django.contrib.auth import get_user_model
from django.db.models.functions import Lower

from chats import mentions
from chats.actions.changes import announce, created_event, message_payload
from chats.actions.threads import reply_posted
from chats.attachments import get_attachments
from chats.backends import get_store
from chats.threads import summary_payload

User = get_user_model()


def resolve_mentions(conversation, text) -> tuple[list[int], bool]:
    """Members named by @username, whatever the case the sender typed; and whether @all was used."""
    names, everyone = mentions.parse(text)
    if not names:
        return [], everyone
    ids = (
        User.objects.annotate(lowered=Lower("username"))
        .filter(lowered__in=names, memberships__conversation=conversation)
        .values_list("pk", flat=True)
    )
    return sorted(ids), everyone


@contextmanager
def taken_back_on_failure():
    """Wrap a transaction that posts: a store outside the relational DB (MongoDB) keeps a message
    when the outbox row rolls back, so it is taken back, and no message exists without its event.
    Yields the list `post` fills."""
    posted = []
    try:
        yield posted
    except BaseException:
        for message in posted:
            get_store().discard(message)
        raise


def post(
    posted,
    user,
    conversation,
    *,
    text,
    client_id,
    parent_id=None,
    attachment_ids=(),
    attachments=(),
    thread_root=None,
):
    """(message, created): a retry with the same client_id finds the first message. `attachments`
    is the metadata chats.attachments claimed for `attachment_ids`; they are bound to the message.
    `thread_root`: the (checked) root message it replies to; its created event carries the root's
    new summary in data.thread, so that open clients redraw the root's count at once."""
    mentioned, everyone = resolve_mentions(conversation, text)
    message, created = get_store().send(
        conversation_id=conversation.id,
        sender_id=user.pk,
        client_id=client_id,
        text=text,
        parent_id=parent_id,
        mentions=mentioned,
        mention_all=everyone,
        attachments=list(attachments),
        thread_root_id=thread_root.id if thread_root else None,
    )
    if created:
        posted.append(message)
        if attachment_ids:
            get_attachments().bind(attachment_ids, message)
        get_attachments().posted(message)
        event = created_event(message)
        if thread_root is not None:
            event = replace(event, data={"thread": summary_payload(reply_posted(message, thread_root))})
        announce(event, user, message_payload(message))
    return message, created
