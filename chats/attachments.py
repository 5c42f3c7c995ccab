"""The port through which a send takes files along, without chats knowing who stores them.

The files app sits above chats (it asks chats who may read a conversation), so chats cannot import
it. Instead the MESSAGE_ATTACHMENTS setting names an object with four methods that chats calls
inside its own transactions; an empty setting means messages carry no files. That object is found
at run time, the same way the gateway's fan-out adapter is.
"""

from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string

from chatsite.api_errors import ApiError


class NoAttachments:
    """Messages without files: any attachment id is refused."""

    def claim(self, user, conversation, ids) -> list[dict]:
        """Lock the user's unused uploads `ids` for this send and return their metadata, in the
        given order, or raise ApiError. Runs inside the send's transaction."""
        raise ApiError("invalid", "This server does not take attachments.", 400, fields={"attachment_ids": ["off"]})

    def bind(self, ids, message) -> None:
        """Mark the claimed uploads as used by `message` (same transaction as the send)."""

    def released(self, message) -> None:
        """`message` became a tombstone: its files may go once the tombstone retention is over."""

    def posted(self, message) -> None:
        """`message` was just written (same transaction): what it links to may be looked up after
        the commit (link previews, chats.actions.do_set_previews)."""


@cache
def get_attachments():
    path = settings.MESSAGE_ATTACHMENTS
    return import_string(path)() if path else NoAttachments()
