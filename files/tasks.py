"""Tasks of the files app: the retention jobs, which beat runs on the schedules seeded by
files/migrations/0002 (editable in the admin under Periodic tasks), and link previews."""

from celery import shared_task

from chats.actions import do_set_previews
from files import actions, links, previews

# Idempotent: a purge repeated or lost with its worker does no harm.
PURGE = {"acks_late": True, "ignore_result": True, "soft_time_limit": 1800, "time_limit": 1900}


@shared_task(**PURGE)
def purge_unattached_uploads():
    """Uploads never sent in a message within UPLOAD_UNATTACHED_HOURS."""
    return actions.do_purge_unattached(actions.unattached_cutoff()).files


@shared_task(**PURGE)
def purge_deleted_files():
    """Files of messages deleted more than TOMBSTONE_RETENTION_DAYS ago."""
    return actions.do_purge_released(actions.released_cutoff()).files


# A lookup repeated after a lost worker finds the cached pages and sets nothing twice.
PREVIEW = {"acks_late": True, "ignore_result": True, "soft_time_limit": 60, "time_limit": 90}


@shared_task(**PREVIEW)
def find_link_previews(message_id, text):
    """Previews of the first links of a new message, then one message.previewed event."""
    cards = [previews.card(p) for p in map(previews.preview_for, links.find_links(text)) if p.found]
    if cards:
        do_set_previews(message_id, cards)
    return len(cards)
