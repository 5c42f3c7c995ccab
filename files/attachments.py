"""The files app's side of chats' attachment port (chats.attachments; MESSAGE_ATTACHMENTS names
this class): a message's files, and the lookup of its links' previews. chats calls it inside the
send's transaction, so an upload is used by at most one message, and a send that rolls back leaves
its uploads free."""

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from chatsite.api_errors import ApiError
from files import links, tasks
from files.models import Upload


def metadata(upload: Upload) -> dict:
    """What a message carries about one file (chats stores it as given)."""
    found = {
        "id": str(upload.id),
        "name": upload.name,
        "size": upload.size,
        "content_type": upload.content_type,
        "kind": upload.kind,
        "url": reverse("files:download", args=[upload.id]),
    }
    if upload.kind == Upload.Kind.IMAGE:
        found.update(
            width=upload.width,
            height=upload.height,
            animated=upload.animated,
            placeholder=upload.placeholder,
            variants=list(upload.variants),
        )
    return found


class FileAttachments:
    def claim(self, user, conversation, ids):
        uploads = {
            str(u.id): u
            for u in Upload.objects.select_for_update().filter(
                pk__in=ids, owner=user, status=Upload.Status.READY, message_id__isnull=True
            )
        }
        missing = [str(i) for i in ids if str(i) not in uploads]
        if missing:
            message = "These uploads are not yours, not ready, or already sent: " + ", ".join(missing)
            raise ApiError("invalid", message, 400, fields={"attachment_ids": [message]})
        return [metadata(uploads[str(i)]) for i in ids]

    def bind(self, ids, message):
        Upload.objects.filter(pk__in=ids, message_id__isnull=True).update(
            message_id=message.id,
            conversation_id=message.conversation_id,
            sender_id=message.sender_id,
            attached_at=timezone.now(),
        )

    def posted(self, message):
        # Fetching pages takes seconds, never the sender's: a task after the commit. A worker lost
        # in between loses only the previews, which nothing depends on.
        if settings.LINK_PREVIEWS and links.find_links(message.text):
            message_id, text = str(message.id), message.text
            transaction.on_commit(lambda: tasks.find_link_previews.delay(message_id, text))

    def released(self, message):
        Upload.objects.filter(message_id=message.id, released_at__isnull=True).update(released_at=timezone.now())
