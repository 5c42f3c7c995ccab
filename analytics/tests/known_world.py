"""A small hand-made week of events whose every metric is worked out by hand in the tests.

Monday D0 and Tuesday D1 are the days computed. u1 signed up ten days before D0; u5 was last
active ten days before D0 and u6 twenty days before, so they count in the 15- and 30-day actives
but not in the weekly ones.
"""

import uuid
from datetime import UTC, date, datetime, timedelta

D0 = date(2026, 3, 2)
D1 = D0 + timedelta(days=1)
DM1, DM2, CH1, CH2, G1 = "dm-1", "dm-2", "ch-1", "ch-2", "g-1"
KINDS = {DM1: "direct", DM2: "direct", CH1: "channel", CH2: "channel", G1: "group"}


def at(day, hh, mm=0, ss=0):
    return datetime(day.year, day.month, day.day, hh, mm, ss, tzinfo=UTC)


def row(type, when, actor, conversation=None, user=None, client=None, event_id=None, kind=None):
    return {
        "event_id": event_id or str(uuid.uuid4()),
        "type": type,
        "occurred_at": when,
        "actor_id": actor,
        "conversation_id": conversation,
        "user_id": user,
        "kind": kind or KINDS.get(conversation),
        "client": client,
        "payload": "{}",
    }


def msg(when, sender, conversation, client=None, event_id=None):
    return row("message.created", when, sender, conversation, client=client, event_id=event_id)


def events():
    """(first file's rows, second file's rows): the second replays one event of the first."""
    replayed = msg(at(D0, 14, 30), 3, CH1, event_id="00000000-0000-4000-8000-000000000001")
    first = [
        row("user.registered", at(D0 - timedelta(days=10), 8), 1, user=1),
        msg(at(D0 - timedelta(days=10), 12), 5, CH2),
        msg(at(D0 - timedelta(days=20), 12), 6, CH2),
        row("user.registered", at(D0, 9), 2, user=2),
        row("user.registered", at(D0, 10), 3, user=3),
        # dm-1: u1 opens twice, u2 answers 300 s after the first message
        msg(at(D0, 9, 0, 0), 1, DM1, "web"),
        msg(at(D0, 9, 1, 30), 1, DM1, "web"),
        msg(at(D0, 9, 5, 0), 2, DM1, "api"),
        # dm-2: u3 opens, u1 answers after 60 s
        msg(at(D0, 10, 0, 0), 3, DM2),
        msg(at(D0, 10, 1, 0), 1, DM2, "web"),
        msg(at(D0, 14), 1, CH1, "web"),
        replayed,
        msg(at(D0, 15), 3, CH1),
        msg(at(D0, 15), 2, G1, "api"),
        row("moderation.reported", at(D0, 16), 2, CH1),
        msg(at(D1, 8), 4, CH1, "web"),
        row("moderation.resolved", at(D1, 9), 4, CH1),
        # reads, holds and notifications, by people already active on the day (the actives stay)
        row("conversation.read", at(D0, 9, 6), 2, DM1),
        row("conversation.read", at(D0, 14, 1), 1, CH1),
        row("conversation.read", at(D1, 8, 1), 4, CH1),
        row("moderation.held", at(D0, 15, 30), 3, CH1, kind="spam"),
        row("moderation.held", at(D0, 15, 31), 2, G1, kind="abuse"),
        row("moderation.held", at(D1, 8, 30), 4, CH1, kind="spam"),
        row("moderation.held_approved", at(D1, 10), 4, G1, kind="abuse"),
        row("moderation.held_rejected", at(D1, 10, 5), 4, CH1, kind="spam"),
        row("notification.delivered", at(D0, 9, 1), None, user=2),
        row("notification.delivered", at(D0, 10, 2), None, user=3),
        row("notification.failed", at(D0, 10, 3), None, user=3),
    ]
    return first, [dict(replayed)]
