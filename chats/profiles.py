"""A profile change reaches the open clients of everyone who shares a conversation with that
person: chats knows the conversations, accounts (below it) only sends the signal."""

from chats.selectors import conversation_ids_by_user
from gateway import fanout


def announce(sender, *, user_id, **kwargs):
    """Receiver of accounts.signals.profile_changed, after commit. A lost hint costs only
    staleness: clients read profiles again whenever they load them."""
    fanout.announce_profile(user_id, conversation_ids_by_user([user_id]).get(user_id, []))
