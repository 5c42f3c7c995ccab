"""What a socket needs when it opens: its conversations, its user's block lists, the people it
shares conversations with (for presence), and the hello frame that tells the client its limits."""

from dataclasses import dataclass

from django.conf import settings

from accounts import selectors as account_selectors
from chats import selectors as chat_selectors
from gateway import protocol
from gateway.socket.signals import PRESENCE_SNAPSHOT_MAX


@dataclass
class Start:
    conversations: list  # ids, as strings
    blocks: tuple  # (ids the user blocked, ids who blocked the user)
    co_members: list


def blocks_of(user):
    return account_selectors.block_lists(user.pk)


def bootstrap(user):
    """None when the account was disabled after the socket authenticated: read after the socket
    joined its user group, so a ban either shows here or reaches the socket as chat.disconnect."""
    blocks = account_selectors.socket_standing(user.pk)
    if blocks is None:
        return None
    conversations, co_members = chat_selectors.socket_conversations(user.pk, PRESENCE_SNAPSHOT_MAX)
    return Start(conversations=conversations, blocks=blocks, co_members=co_members)


def hello(user, connection, conversations, request_id):
    return protocol.hello(
        user_id=user.pk,
        connection=connection,
        conversations=conversations,
        heartbeat=settings.PRESENCE_HEARTBEAT,
        resume_grace=settings.WS_RESUME_GRACE,
        limits={
            "max_frame_bytes": settings.WS_MAX_FRAME_BYTES,
            "frames_per_second": settings.WS_RATE_PER_SECOND,
            "burst": settings.WS_RATE_BURST,
            "replay_bound": settings.WS_REPLAY_BOUND,
        },
        request_id=request_id,
    )
