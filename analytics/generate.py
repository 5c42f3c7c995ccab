"""Synthetic activity for a demo deployment and for the engines' contract test: raw events with
the rhythms of a real chat (quiet nights and weekends, a few very active people and many quiet
ones, conversation sizes with a heavy tail, replies that come minutes or hours later).

Deterministic for a given seed, so a test can generate the same world twice.
"""

import random
import uuid
from datetime import UTC, datetime, timedelta

from analytics import raw

# Relative activity per hour of the day (UTC): low at night, peaks late morning and afternoon.
HOURLY = [1, 1, 1, 1, 1, 2, 4, 7, 10, 12, 12, 11, 9, 11, 12, 11, 10, 8, 7, 6, 5, 4, 3, 2]
WEEKDAY = [1.0, 1.05, 1.0, 0.95, 0.85, 0.35, 0.3]  # Monday first
CLIENTS = (("web", 0.7), ("api", 0.3))


class World:
    def __init__(self, users, days, end, seed):
        self.rng = random.Random(seed)  # nosec B311 - synthetic demo data, not security
        self.users = list(range(1, users + 1))
        self.start = end - timedelta(days=days - 1)
        self.end = end
        self.ids = random.Random(seed + 1)  # nosec B311 - deterministic event ids
        self.rows = []
        self.conversations = []  # (id, kind, members)

    def uuid(self):
        return str(uuid.UUID(int=self.ids.getrandbits(128), version=4))

    def event(self, type, at, actor, **fields):
        row = {
            "event_id": self.uuid(),
            "type": type,
            "occurred_at": at,
            "actor_id": actor,
            "conversation_id": None,
            "user_id": None,
            "kind": None,
            "client": None,
            "payload": "{}",
        }
        row.update(fields)
        self.rows.append(row)
        return row

    def moment(self, day):
        hour = self.rng.choices(range(24), weights=HOURLY)[0]
        midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
        return midnight + timedelta(hours=hour, seconds=self.rng.randrange(3600))

    def sign_up(self):
        """A quarter of the people were there before the span; the rest join during it."""
        self.joined = {}
        span = (self.end - self.start).days + 1
        for user in self.users:
            day = (
                self.start - timedelta(days=30)
                if self.rng.random() < 0.25
                else self.start + timedelta(days=self.rng.randrange(span))
            )
            self.joined[user] = day
            at = self.moment(day)
            self.event("user.registered", at, user, user_id=user)

    def open_conversations(self):
        n = len(self.users)
        for _ in range(max(1, n // 2)):
            pair = self.rng.sample(self.users, 2) if n > 1 else self.users * 2
            self.conversations.append((self.uuid(), "direct", pair))
        for _ in range(max(1, n // 8)):
            size = min(n, 2 + int(self.rng.paretovariate(1.5)))
            self.conversations.append((self.uuid(), "group", self.rng.sample(self.users, size)))
        for _ in range(max(1, n // 25)):
            size = min(n, 5 + int(self.rng.paretovariate(1.1) * 5))
            self.conversations.append((self.uuid(), "channel", self.rng.sample(self.users, size)))
        self.of_user = {user: [] for user in self.users}
        for conversation in self.conversations:
            for member in conversation[2]:
                self.of_user[member].append(conversation)

    def message(self, at, user, conversation):
        cid, kind, _ = conversation
        client = self.rng.choices([c for c, _ in CLIENTS], weights=[w for _, w in CLIENTS])[0]
        self.event("message.created", at, user, conversation_id=cid, kind=kind, client=client)

    def live(self, messages_per_day):
        eagerness = {user: self.rng.lognormvariate(0, 1) for user in self.users}
        mean = sum(eagerness.values()) / len(eagerness)
        for offset in range((self.end - self.start).days + 1):
            day = self.start + timedelta(days=offset)
            rate = messages_per_day * WEEKDAY[day.weekday()]
            for user in self.users:
                if self.joined[user] > day or not self.of_user[user]:
                    continue
                expected = rate * eagerness[user] / mean / len(self.users)
                for _ in range(self._poisson(expected)):
                    conversation = self.rng.choice(self.of_user[user])
                    at = self.moment(day)
                    if self.rng.random() < 0.01:
                        self._hold(at, user, conversation)
                        continue
                    self.message(at, user, conversation)
                    self._maybe_reply(at, user, conversation)
                    self._aftermath(at, user, conversation)
                    if self.rng.random() < 0.002:
                        self.event(
                            "moderation.reported", at + timedelta(minutes=5), user, conversation_id=conversation[0]
                        )
                        if self.rng.random() < 0.8:
                            later = at + timedelta(hours=self.rng.uniform(1, 30))
                            self.event("moderation.resolved", later, None, conversation_id=conversation[0])

    def _hold(self, at, user, conversation):
        """A send the models held (mostly as spam), and a moderator's decision on most of them."""
        kind = "spam" if self.rng.random() < 0.7 else "abuse"
        self.event("moderation.held", at, user, conversation_id=conversation[0], kind=kind)
        if self.rng.random() < 0.8:
            decision = "moderation.held_rejected" if self.rng.random() < 0.6 else "moderation.held_approved"
            self.event(decision, at + timedelta(hours=self.rng.uniform(0.1, 8)), None, conversation_id=conversation[0])

    def _aftermath(self, at, user, conversation):
        """Someone else reads the message a while later; a direct message notifies its peer."""
        others = [m for m in conversation[2] if m != user]
        if not others:
            return
        if self.rng.random() < 0.5:
            later = at + timedelta(seconds=self.rng.expovariate(1 / 1200))
            reader = self.rng.choice(others)
            self.event("conversation.read", later, reader, conversation_id=conversation[0], kind=conversation[1])
        if conversation[1] == "direct":
            outcome = "notification.failed" if self.rng.random() < 0.03 else "notification.delivered"
            self.event(outcome, at + timedelta(seconds=2), None, user_id=others[0])

    def _maybe_reply(self, at, user, conversation):
        others = [m for m in conversation[2] if m != user]
        if conversation[1] == "direct" and others and self.rng.random() < 0.6:
            later = at + timedelta(seconds=self.rng.expovariate(1 / 900))
            if later.date() <= self.end:
                self.message(later, others[0], conversation)

    def _poisson(self, mean):
        # Knuth's method is fine for the small means of one user's day.
        limit, k, p = pow(2.718281828459045, -mean), 0, 1.0
        while True:
            p *= self.rng.random()
            if p <= limit:
                return k
            k += 1


def generate(users, days, end=None, messages_per_day=None, seed=7, data=None):
    """Write a synthetic world's raw events; returns (number of events, first day, last day)."""
    end = end or (datetime.now(UTC).date() - timedelta(days=1))
    world = World(users, days, end, seed)
    world.sign_up()
    world.open_conversations()
    world.live(messages_per_day if messages_per_day is not None else users * 8)
    raw.write_rows(world.rows, data)
    return len(world.rows), world.start, world.end
