"""Sending, editing and deleting messages, read markers, and typing."""

import re
from dataclasses import dataclass, replace

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import DatabaseError, transaction

from chats.actions import held
from chats.actions.changes import announce, message_payload
from chats.actions.posting import post, taken_back_on_failure
from chats.actions.rules import (
    forbidden,
    invalid,
    refuse_blocked_peer,
    require_member,
    writable,
    writable_members,
)
from chats.actions.threads import check_thread_root, reply_deleted
from chats.attachments import get_attachments
from chats.backends import get_store
from chats.backends.types import AlreadyDone, Message
from chats.models import HeldMessage
from chats.selectors import message_in
from chats.threads import summary_payload
from chatsite import ratelimit
from chatsite.api_errors import ApiError
from gateway import fanout
from ml import scoring as ml_scoring
from streaming.events import emit, gathered

User = get_user_model()

CLIENT_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


MAX_ATTACHMENTS = 10


def check_text(text, *, allow_empty=False) -> None:
    if not isinstance(text, str) or not (text.strip() or allow_empty):
        raise invalid("text", "A message needs some text.")
    if len(text) > settings.MESSAGE_MAX_LENGTH:
        raise invalid("text", f"A message is at most {settings.MESSAGE_MAX_LENGTH} characters.", "too_long")


def check_attachment_ids(attachment_ids) -> list:
    if not isinstance(attachment_ids, list | tuple) or len(attachment_ids) > MAX_ATTACHMENTS:
        raise invalid("attachment_ids", f"attachment_ids is a list of at most {MAX_ATTACHMENTS} upload ids.")
    if len(set(attachment_ids)) != len(attachment_ids):
        raise invalid("attachment_ids", "An upload can be attached once per message.")
    return list(attachment_ids)


def check_send_message(
    user,
    conversation_id,
    *,
    text: str,
    client_id: str,
    parent_id=None,
    attachment_ids=(),
    thread_root=None,
    member=None,
):
    """(conversation, verdict, attachments, root): the models' verdict is allow or hold (a rejection
    raises), the metadata of the files to attach (claimed: see chats.attachments), and the thread
    root the message replies in (None for a top-level message). `member`: what writable() answered
    for this user and conversation earlier in the same transaction (it holds the row's lock)."""
    conversation, _ = member or writable(user, conversation_id, lock=True)
    if not isinstance(client_id, str) or not CLIENT_ID.match(client_id):
        raise invalid("client_id", "client_id is 1-64 letters, digits or . _ : -")
    attachment_ids = check_attachment_ids(attachment_ids)
    check_text(text, allow_empty=bool(attachment_ids))
    refuse_blocked_peer(user, conversation)
    if parent_id is not None:
        parent = get_store().get(parent_id)
        if parent is None or parent.conversation_id != conversation.id or parent.is_deleted:
            raise invalid("parent_id", "The message you reply to is not in this conversation.")
    root = check_thread_root(conversation, thread_root) if thread_root is not None else None
    # The one model check on the request path (DESIGN.md): cheap, in process, and it allows every
    # message while no model is active.
    verdict = ml_scoring.check_message(text, ml_scoring.Context.for_user(user, conversation.kind))
    if verdict.outcome == ml_scoring.REJECT:
        raise ApiError(verdict.code, "This message looks like spam or abuse and was not sent.", 422)
    # Last: claiming locks the uploads, after every cheaper refusal.
    attachments = get_attachments().claim(user, conversation, attachment_ids) if attachment_ids else []
    return conversation, verdict, attachments, root


def check_send_rate(user) -> None:
    refused = send_rate_refusals([user])[0]
    if refused:
        raise refused


def send_rate_refusals(users) -> list:
    """The send rate of several sends at once, counted in one round trip per user -> per send,
    None or the ApiError that refuses it."""
    sends_of = {}
    for i, user in enumerate(users):
        sends_of.setdefault(user.pk, []).append(i)
    refusals = [None] * len(users)
    for user_id, indices in sends_of.items():
        waits = ratelimit.hits(f"send:{user_id}", settings.MESSAGE_RATE_LIMIT, len(indices))
        for i, retry_after in zip(indices, waits, strict=True):
            if retry_after:
                refusals[i] = ApiError(
                    "rate_limited",
                    f"Too many messages; try again in {retry_after} s.",
                    429,
                    headers={"Retry-After": str(retry_after)},
                )
    return refusals


@dataclass(frozen=True)
class SendRequest:
    """One send, as a client asked for it."""

    user: object
    conversation_id: object
    text: str
    client_id: str
    parent_id: object = None
    attachment_ids: tuple = ()
    thread_root: object = None


def do_send_message(
    user, conversation_id, *, text: str, client_id: str, parent_id=None, attachment_ids=(), thread_root=None
) -> tuple[Message, bool]:
    """(message, created). A retry with the same client_id returns the first message. A send the
    models hold raises MessageHeld (202) once kept aside, and so does each retry while it waits;
    once a moderator approved it, a retry finds the message it became."""
    return do_send_request(SendRequest(user, conversation_id, text, client_id, parent_id, attachment_ids, thread_root))


def do_send_request(request) -> tuple[Message, bool]:
    """do_send_message, for a SendRequest."""
    (outcome,) = do_send_messages([request])
    if isinstance(outcome, BaseException):
        raise outcome
    return outcome


def do_send_messages(requests) -> list:
    """Group commit: several sends in one transaction, so that they share one flush to disk and one
    hold of each conversation's row lock. It answers as do_send_message would for each, in order:
    per request, (message, created) or the exception that send raised.

    The checks only read (and lock), so a send they refuse leaves the transaction as it was, and
    the others go on. A failure once a send began writing rolls the transaction back; then each
    send is written alone, so that one bad send fails no other. No send is reported done unless
    the transaction that wrote it committed."""
    outcomes = [None] * len(requests)
    writing = []
    # Outside the transaction: a cache counter, not a rule about the database.
    for i, refused in enumerate(send_rate_refusals([request.user for request in requests])):
        if refused is None:
            writing.append(i)
            continue
        # A retry is answered even when a new send would be rate-limited. Looked up only here:
        # on the common path the store finds a retry inside its transaction, one query fewer.
        try:
            _find_retry(requests[i])
            outcomes[i] = refused
        except _Found as found:
            outcomes[i] = (found.message, False)
        except Exception as exc:
            outcomes[i] = exc
    _write_together(requests, writing, outcomes)
    return outcomes


def _write_together(requests, writing, outcomes):
    if not writing:
        return
    try:
        with taken_back_on_failure() as posted, transaction.atomic(), gathered():
            members = _writable_senders([requests[i] for i in writing])
            for i in writing:
                try:
                    checked = _check(members, requests[i])
                except ApiError as refused:
                    outcomes[i] = refused
                    continue
                outcomes[i] = _write(posted, requests[i], checked)
            if transaction.get_rollback():  # marked for rollback without an exception: not written
                raise DatabaseError("the sends' transaction was rolled back")
    except Exception as exc:
        if len(writing) == 1:
            outcomes[writing[0]] = exc
            return
        for i in writing:
            _write_together(requests, [i], outcomes)
        return
    for i in writing:
        if isinstance(outcomes[i], HeldMessage):
            outcomes[i] = _after_hold(outcomes[i], requests[i])


def _writable_senders(requests):
    """(user id, conversation id) -> what writable() answers, for the senders of a batch it lets
    write: one query for all the senders of a conversation, where writable() would ask once per
    sender (a busy room's REST sends come from many people)."""
    senders = {}
    for request in requests:
        senders.setdefault(str(request.conversation_id), set()).add(request.user.pk)
    found = {}
    for conversation_id, user_ids in senders.items():
        if len(user_ids) > 1:  # one sender: writable() asks the same in one query
            for user_id, answer in writable_members(conversation_id, user_ids).items():
                found[(user_id, conversation_id)] = answer
    return found


class _Found(Exception):
    """A retry of a send already stored: its answer is that message."""

    def __init__(self, message):
        self.message = message


def _find_retry(request):
    conversation, _ = require_member(request.user, request.conversation_id)
    existing = get_store().find_by_client_id(conversation.id, request.user.pk, request.client_id)
    if existing:
        raise _Found(existing)


def _check(members, request):
    """check_send_message for one send of a batch -> what _write needs, or a _Found retry.
    `members` holds writable()'s answers, whose membership rows stay locked until the commit: for
    the later sends of the batch the answer stands and is not asked again."""
    if request.attachment_ids:
        # A retry's uploads are used by its first message already, so the claim below would
        # refuse them: answer a retry before claiming (a query only sends with files pay).
        try:
            _find_retry(request)
        except _Found as found:
            return found
    key = (request.user.pk, str(request.conversation_id))
    if key not in members:
        members[key] = writable(request.user, request.conversation_id, lock=True)
    return check_send_message(
        request.user,
        request.conversation_id,
        text=request.text,
        client_id=request.client_id,
        parent_id=request.parent_id,
        attachment_ids=request.attachment_ids,
        thread_root=request.thread_root,
        member=members[key],
    )


def _write(posted, request, checked):
    """One checked send inside the (shared) transaction -> (message, created), or the HeldMessage
    row of a send the models hold (answered after the commit, by _after_hold)."""
    if isinstance(checked, _Found):
        return checked.message, False
    conversation, verdict, attachments, root = checked
    fields = {
        "text": request.text,
        "client_id": request.client_id,
        "parent_id": request.parent_id,
        "attachment_ids": request.attachment_ids,
    }
    if verdict.outcome != ml_scoring.HOLD:
        return post(posted, request.user, conversation, attachments=attachments, thread_root=root, **fields)
    return held.hold(request.user, conversation, verdict, thread_root_id=root.id if root else None, **fields)


def _after_hold(kept, request):
    if kept.state == kept.State.APPROVED:  # a retry of a send a moderator let through since
        return get_store().find_by_client_id(kept.conversation_id, request.user.pk, request.client_id), False
    return held.MessageHeld()


def own_message(user, conversation_id, message_id):
    """(conversation, membership, message) of a live message in an open conversation of the user."""
    conversation, membership = writable(user, conversation_id)
    _, _, message = message_in(user, conversation_id, message_id)
    if message.is_deleted:
        raise ApiError("deleted", "This message was deleted.", 409)
    return conversation, membership, message


def check_edit_message(user, conversation_id, message_id, text: str) -> Message:
    _, _, message = own_message(user, conversation_id, message_id)
    if message.sender_id != user.pk:
        raise forbidden("Only the sender may edit a message.")
    check_text(text)
    return message


def do_edit_message(user, conversation_id, message_id, text: str) -> Message:
    try:
        with transaction.atomic():
            message = check_edit_message(user, conversation_id, message_id, text)
            if text == message.text:
                return message
            event = get_store().edit(message.id, text, user.pk)
            announce(event, user, message_payload(event.message))
    except AlreadyDone:  # deleted between the check and the write
        raise ApiError("deleted", "This message was deleted.", 409) from None
    return event.message


def check_delete_message(user, conversation_id, message_id) -> Message:
    _, membership, message = own_message(user, conversation_id, message_id)
    if message.sender_id != user.pk and not membership.is_admin:
        raise forbidden("Only the sender, an admin or the owner may delete a message.")
    return message


def do_delete_message(user, conversation_id, message_id) -> Message:
    try:
        with transaction.atomic():
            return tombstone(user, check_delete_message(user, conversation_id, message_id))
    except AlreadyDone:  # two deletes raced: the first one's tombstone is the answer
        return get_store().get(message_id)


def tombstone(actor, message) -> Message:
    """Delete a message for everyone, whoever asks (its sender, a conversation admin, or a moderator
    through moderation.actions, or a retention policy with no actor): the store leaves the tombstone
    and logs message.deleted with a seq, so live sockets and resuming ones see it. Callers check
    first. Raises AlreadyDone."""
    with transaction.atomic():
        event = get_store().delete(message.id, actor.pk if actor else None)
        if message.attachments:
            get_attachments().released(message)
        payload = {"conversation_id": str(message.conversation_id), "message_id": str(message.id), "seq": event.seq}
        summary = reply_deleted(message) if message.thread_root_id else None
        if summary is not None:
            event = replace(event, data={**event.data, "thread": summary_payload(summary)})
        announce(event, actor, payload)
    return event.message


def check_mark_read(user, conversation_id, seq: int):
    _, membership = require_member(user, conversation_id)
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
        raise invalid("seq", "seq is a non-negative integer.")
    return membership


def read_payload(conversation_id, user, seq):
    return {"conversation_id": str(conversation_id), "user_id": user.pk, "seq": seq}


def do_mark_read(user, conversation_id, seq: int) -> int:
    """Move the read marker forward (never back, never past the newest event)."""
    with transaction.atomic():
        membership = check_mark_read(user, conversation_id, seq)
        seq = min(seq, get_store().latest_seq(conversation_id))
        updated = type(membership).objects.filter(pk=membership.pk, last_read_seq__lt=seq).update(last_read_seq=seq)
        if updated:  # one fact for two readers: other devices' notifications are withdrawn, analytics counts reads
            emit("conversation.read", key=conversation_id, actor=user, payload=read_payload(conversation_id, user, seq))
    if updated:
        fanout.push_receipt(conversation_id, user.pk, seq)
    return max(seq, membership.last_read_seq)


def check_typing(user, conversation_id) -> None:
    """Only a member of an open conversation may say they are typing in it. Nothing is written."""
    writable(user, conversation_id)
