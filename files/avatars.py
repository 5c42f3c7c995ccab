"""Where profile pictures' bytes live, and their removal once no profile points at them.

A picture is stored once per size, under its version (a hash of its bytes): a new picture gets
new keys, so a URL that names a version may be cached for good. The profile row names the
version (accounts.User.avatar_version); these bytes are the files app's.
"""

import logging

from files.backends import get_storage

log = logging.getLogger(__name__)

SIZES = (64, 256)  # edges in pixels: message lists and sidebars, then profiles and high-density screens
DEFAULT_SIZE = 256
CONTENT_TYPE = "image/webp"  # every stored size is encoded here (files.images.squares)


def key(user_id: int, version: str, size: int) -> str:
    return f"avatars/{user_id}/{version}/{size}"


def keys(user_id: int, version: str) -> list[str]:
    return [key(user_id, version, size) for size in SIZES]


def delete(user_id: int, version: str) -> None:
    storage = get_storage()
    for name in keys(user_id, version):
        storage.delete(name)


def forget_dropped(sender, *, user_id, dropped_avatar="", **kwargs):
    """Receiver of accounts.signals.profile_changed (after commit): the bytes of a picture that
    was replaced or removed go. A failure leaves unreachable bytes behind, never a broken profile."""
    if not dropped_avatar:
        return
    try:
        delete(user_id, dropped_avatar)
    except Exception:
        log.warning("could not remove the old picture %s of user %s", dropped_avatar, user_id, exc_info=True)
