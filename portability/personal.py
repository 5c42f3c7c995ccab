"""A person's own data as a zip of JSON (GDPR): profile, memberships, the messages they sent,
their reactions, the files they uploaded (index in uploads.json, bytes under uploads/) and their
profile picture (avatar.webp).

Messages and reactions come from the conversations the person belongs to when the export runs.
"""

import json
import zipfile
from contextlib import suppress

from chats.backends import get_store
from chats.selectors import conversation_ids_of, membership_of
from chats.transfer import authored
from chatsite.portable import plain
from files import avatars
from files.backends import get_storage
from files.selectors import owned_uploads

PROFILE_FIELDS = (
    "id",
    "username",
    "email",
    "first_name",
    "last_name",
    "display_name",
    "avatar_url",
    "bio",
    "status_text",
    "date_joined",
    "last_login",
    "is_bot",
)


def _json(value) -> str:
    return json.dumps(value, default=plain, ensure_ascii=False, indent=1)


def write_zip(user, target, progress) -> None:
    """Write the zip to the binary file `target`; `progress(percent)` is called as it goes."""
    store = get_store()
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("profile.json", _json({name: getattr(user, name) for name in PROFILE_FIELDS}))
        progress(5)
        conversation_ids = sorted(conversation_ids_of(user), key=str)
        memberships, messages, reactions = [], [], []
        for i, conversation_id in enumerate(conversation_ids, 1):
            m = membership_of(user, conversation_id)
            if m is not None:  # left since the list was read
                memberships.append(_membership(m))
            sent, reacted = authored(store, user.pk, conversation_id)
            messages += [_message(m) for m in sent]
            reactions += [{"conversation_id": conversation_id, "message_id": mid, "emoji": e} for mid, e in reacted]
            progress(5 + 65 * i // len(conversation_ids))
        z.writestr("memberships.json", _json(memberships))
        z.writestr("messages.json", _json(messages))
        z.writestr("reactions.json", _json(reactions))
        uploads = list(owned_uploads(user))
        storage, index = get_storage(), []
        for i, upload in enumerate(uploads, 1):
            path = f"uploads/{upload.id}/{upload.name}"
            index.append(
                {
                    "id": upload.id,
                    "name": upload.name,
                    "type": upload.content_type,
                    "size": upload.size,
                    "uploaded_at": upload.created_at,
                    "path": path,
                }
            )
            with storage.open(upload.variant_key()) as blob, z.open(path, "w") as out:
                while block := blob.read(1 << 20):
                    out.write(block)
            progress(70 + 25 * i // len(uploads))
        z.writestr("uploads.json", _json(index))
        if user.avatar_version:
            # The picture as others see it, at its largest stored size; the uploaded file itself
            # is not kept (files.images.squares).
            with suppress(FileNotFoundError):
                z.writestr("avatar.webp", storage.read(avatars.key(user.pk, user.avatar_version, avatars.DEFAULT_SIZE)))


def _message(m) -> dict:
    return {
        "conversation_id": m.conversation_id,
        "id": m.id,
        "seq": m.seq,
        "text": m.text,
        "sent_at": m.created_at,
        "edited_at": m.edited_at,
        "parent_id": m.parent_id,
        "attachments": [a.get("id") for a in m.attachments],
    }


def _membership(m) -> dict:
    c = m.conversation
    return {"conversation_id": c.id, "kind": c.kind, "title": c.title, "role": m.role, "joined_at": m.joined_at}
