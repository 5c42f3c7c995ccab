"""Reads of thread summaries (chats.models.ThreadSummary): the reply count and last reply of each
root, put on the messages and events the API and the socket hand out. The stores keep only which
thread a reply belongs to; the summary is relational, so it changes in the reply's transaction."""

from dataclasses import replace

from chats.models import ThreadSummary


def summary_payload(summary):
    """What a client needs to redraw a root: its count and its last reply."""
    return {
        "root_id": str(summary.root_id),
        "reply_count": summary.reply_count,
        "last_reply_at": summary.last_reply_at.isoformat() if summary.last_reply_at else None,
        "last_reply_seq": summary.last_reply_seq,
    }


def summaries(root_ids):
    """{root id: ThreadSummary} in one query (none when no id is given)."""
    root_ids = {i for i in root_ids if i}
    if not root_ids:
        return {}
    return {s.root_id: s for s in ThreadSummary.objects.filter(root_id__in=root_ids)}


def _summed(message, found):
    summary = found.get(message.id)
    if summary is None:
        return message
    return replace(message, reply_count=summary.reply_count, last_reply_at=summary.last_reply_at)


def with_threads(messages):
    """The messages, each root with its thread summary."""
    found = summaries(m.id for m in messages)
    return [_summed(m, found) for m in messages] if found else list(messages)


def with_thread_events(events):
    """Events as a client replays them: roots with their summary, and a reply's event carrying its
    root's summary in data.thread (as its live push did), so the root's count is right after a resume."""
    messages = [e.message for e in events if e.message]
    found = summaries([m.id for m in messages] + [m.thread_root_id for m in messages])
    if not found:
        return list(events)
    out = []
    for event in events:
        message = event.message
        if message is not None:
            root = found.get(message.thread_root_id)
            data = {**event.data, "thread": summary_payload(root)} if root else event.data
            event = replace(event, message=_summed(message, found), data=data)
        out.append(event)
    return out
