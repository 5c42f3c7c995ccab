"""Every write of the chat domain. REST views, the WebSocket consumer, the admin and commands all
call these, so each rule lives here once.

The contract, Zulip's: `do_*` runs its `check_*` (validate, authorize, raising ApiError) inside
its own transaction, after taking the row locks the write depends on, so no caller has to
remember a check and no check is stale by the time of the write. Each change is recorded as a
store event, an outbox event and a live push at once (chats.actions.changes).
"""

from chats.actions.conversations import (
    check_archive,
    check_create_conversation,
    check_open_direct,
    check_update_conversation,
    do_archive,
    do_create_conversation,
    do_open_direct,
    do_update_conversation,
)
from chats.actions.held import MessageHeld, do_approve_held, do_reject_held
from chats.actions.membership import (
    check_invite,
    check_join,
    check_kick,
    check_leave,
    check_set_role,
    do_invite,
    do_join,
    do_kick,
    do_leave,
    do_set_role,
)
from chats.actions.messages import (
    SendRequest,
    check_delete_message,
    check_edit_message,
    check_mark_read,
    check_send_message,
    check_send_rate,
    check_typing,
    do_delete_message,
    do_edit_message,
    do_mark_read,
    do_send_message,
    do_send_messages,
    do_send_request,
    tombstone,
)
from chats.actions.previews import check_remove_previews, do_remove_previews, do_set_previews
from chats.actions.reactions import check_pin, check_react, do_react, do_set_pinned
from chats.actions.rules import forbidden, invalid
from chats.actions.threads import check_thread_root, do_follow_thread, do_mark_thread_read

__all__ = [
    "MessageHeld",
    "SendRequest",
    "check_archive",
    "check_create_conversation",
    "check_delete_message",
    "check_edit_message",
    "check_invite",
    "check_join",
    "check_kick",
    "check_leave",
    "check_mark_read",
    "check_open_direct",
    "check_pin",
    "check_react",
    "check_remove_previews",
    "check_send_message",
    "check_send_rate",
    "check_set_role",
    "check_thread_root",
    "check_typing",
    "check_update_conversation",
    "do_approve_held",
    "do_archive",
    "do_create_conversation",
    "do_delete_message",
    "do_edit_message",
    "do_follow_thread",
    "do_invite",
    "do_join",
    "do_kick",
    "do_leave",
    "do_mark_read",
    "do_mark_thread_read",
    "do_open_direct",
    "do_react",
    "do_reject_held",
    "do_remove_previews",
    "do_send_message",
    "do_send_messages",
    "do_send_request",
    "do_set_pinned",
    "do_set_previews",
    "do_set_role",
    "do_update_conversation",
    "forbidden",
    "invalid",
    "tombstone",
]
