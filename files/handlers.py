"""The events the files app follows: a new message with links gets its previews looked up, in a
Celery task (fetching pages takes seconds, never the sender's)."""

from django.conf import settings
from django.db import transaction

from files import links, tasks
from streaming import bus


@bus.handles("message.created")
def on_message_created(envelope):
    payload = envelope["payload"]
    if not settings.LINK_PREVIEWS or not links.find_links(payload.get("text", "")):
        return
    message_id, text = payload["message_id"], payload["text"]
    transaction.on_commit(lambda: tasks.find_link_previews.delay(message_id, text))
