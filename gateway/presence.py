"""Who is online, across server processes and devices, and who is typing.

Each open socket registers itself as a connection of its user, with a time to live that its
heartbeat renews; a process that dies stops renewing, so its connections lapse on their own and
`sweep_expired` (a beat job) clears them and tells the others. A user is "online" if any of their
connections is, "away" if every one of them said so, and "offline" without any. Each change of
that status is announced once, to the user's conversations only (gateway.fanout.announce_presence).

In Redis when REDIS_URL is set (scripts make each change atomic, with Redis's clock, so several
processes agree); in this process's memory otherwise (one process, `make run`).
"""

import threading
import time

from django.conf import settings

ONLINE, AWAY, OFFLINE = "online", "away", "offline"


def _aggregate(connection_statuses):
    if not connection_statuses:
        return OFFLINE
    return ONLINE if ONLINE in connection_statuses else AWAY


class MemoryPresence:
    def __init__(self):
        self._lock = threading.Lock()
        self._connections = {}  # user id -> {connection id: (status, expires at)}
        self._last = {}  # user id -> status last announced
        self._typing = {}  # (conversation id, user id) -> when repeats are allowed again
        self._seen = {}  # (user id, conversation id) -> when a socket of the user last looked at it

    def touch(self, user_id, connection, status, ttl):
        """Register or renew a connection (status None keeps its status) -> (status, changed)."""
        with self._lock:
            mine = self._connections.setdefault(user_id, {})
            previous = mine.get(connection, (ONLINE, 0))[0]
            mine[connection] = (status or previous, time.time() + ttl)
            return self._settle(user_id)

    def renew(self, connections, ttl):
        """touch() with the status kept, for each (user id, connection) -> [(status, changed)]."""
        return [self.touch(user_id, connection, None, ttl) for user_id, connection in connections]

    def leave(self, user_id, connection):
        with self._lock:
            self._connections.get(user_id, {}).pop(connection, None)
            return self._settle(user_id)

    def statuses(self, user_ids):
        with self._lock:
            return {uid: self._last[uid] for uid in user_ids if uid in self._last}

    def typing_allowed(self, conversation_id, user_id, interval):
        now = time.time()
        with self._lock:
            if self._typing.get((conversation_id, user_id), 0) > now:
                return False
            self._typing[(conversation_id, user_id)] = now + interval
            return True

    def saw(self, user_id, conversation_id, keep):
        with self._lock:
            now = time.time()
            self._seen[(user_id, conversation_id)] = now
            if len(self._seen) > 100_000:  # one process's memory: forget what is long past
                self._seen = {k: v for k, v in self._seen.items() if v > now - keep}

    def seen_at(self, user_id, conversation_id):
        with self._lock:
            return self._seen.get((user_id, conversation_id))

    def sweep(self):
        """Drop lapsed connections and typing marks -> (how many, {user id: new status})."""
        now = time.time()
        with self._lock:
            lapsed_typing = [key for key, until in self._typing.items() if until <= now]
            for key in lapsed_typing:
                del self._typing[key]
            removed, changes = len(lapsed_typing), {}
            for user_id in list(self._connections):
                before = len(self._connections[user_id])
                status, changed = self._settle(user_id)
                removed += before - len(self._connections.get(user_id, {}))
                if changed:
                    changes[user_id] = status
            return removed, changes

    def online(self):
        now = time.time()
        with self._lock:
            live = [sum(1 for _, until in conns.values() if until > now) for conns in self._connections.values()]
        return sum(live), sum(1 for n in live if n)

    def _settle(self, user_id):
        now = time.time()
        mine = {c: v for c, v in self._connections.get(user_id, {}).items() if v[1] > now}
        if mine:
            self._connections[user_id] = mine
        else:
            self._connections.pop(user_id, None)
        status = _aggregate({s for s, _ in mine.values()})
        previous = self._last.get(user_id, OFFLINE)
        if status == OFFLINE:
            self._last.pop(user_id, None)
        else:
            self._last[user_id] = status
        return status, status != previous


# One script both registers and settles, so that two processes changing the same user's
# connections at once cannot announce their results in the wrong order.
_SETTLE = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local conns, away, last, users = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local user, keep = ARGV[1], tonumber(ARGV[2])
local action, connection, status, ttl = ARGV[3], ARGV[4], ARGV[5], tonumber(ARGV[6])
if action == 'touch' then
  redis.call('ZADD', conns, now + ttl, connection)
  if status == 'away' then redis.call('SADD', away, connection)
  elseif status == 'online' then redis.call('SREM', away, connection) end
  redis.call('SADD', users, user)
elseif action == 'leave' then
  redis.call('ZREM', conns, connection)
  redis.call('SREM', away, connection)
end
local lapsed = redis.call('ZRANGEBYSCORE', conns, '-inf', now)
for _, c in ipairs(lapsed) do
  redis.call('ZREM', conns, c)
  redis.call('SREM', away, c)
end
local live = redis.call('ZRANGE', conns, 0, -1)
local result = 'offline'
for _, c in ipairs(live) do
  if redis.call('SISMEMBER', away, c) == 1 then result = 'away' else result = 'online' break end
end
local previous = redis.call('GET', last) or 'offline'
if result == 'offline' then
  redis.call('DEL', conns, away, last)
  redis.call('SREM', users, user)
else
  redis.call('EXPIRE', conns, keep)
  redis.call('EXPIRE', away, keep)
  redis.call('SET', last, result, 'EX', keep)
end
return {result, previous, #lapsed}
"""


class RedisPresence:
    PREFIX = "chatsite:presence:"

    def __init__(self, url):
        import redis

        self.redis = redis.Redis.from_url(url)
        self.settle_script = self.redis.register_script(_SETTLE)
        self.users_key = f"{self.PREFIX}users"

    def _keys(self, user_id):
        return [
            f"{self.PREFIX}conns:{user_id}",
            f"{self.PREFIX}away:{user_id}",
            self._last_key(user_id),
            self.users_key,
        ]

    def _last_key(self, user_id):
        return f"{self.PREFIX}last:{user_id}"

    def _run(self, user_id, action, connection="", status="", ttl=0, client=None):
        # Keys outlive a connection's ttl twice, so a user whose process died expires on its own.
        keep = max(int(ttl or settings.PRESENCE_TTL) * 2, 1)
        args = [user_id, keep, action, connection, status or "", ttl]
        return self.settle_script(keys=self._keys(user_id), args=args, client=client)

    @staticmethod
    def _result(reply):
        status, previous = reply[0].decode(), reply[1].decode()
        return status, status != previous

    def touch(self, user_id, connection, status, ttl):
        return self._result(self._run(user_id, "touch", connection, status, ttl))

    def renew(self, connections, ttl):
        # One pipeline a batch: a process's sockets are renewed together (gateway.socket.heartbeats).
        results = []
        for start in range(0, len(connections), 500):
            pipe = self.redis.pipeline(transaction=False)
            for user_id, connection in connections[start : start + 500]:
                self._run(user_id, "touch", connection, None, ttl, client=pipe)
            results += [self._result(reply) for reply in pipe.execute()]
        return results

    def leave(self, user_id, connection):
        return self._result(self._run(user_id, "leave", connection))

    def statuses(self, user_ids):
        user_ids = list(user_ids)
        if not user_ids:
            return {}
        values = self.redis.mget([self._last_key(uid) for uid in user_ids])
        return {uid: value.decode() for uid, value in zip(user_ids, values, strict=True) if value}

    def typing_allowed(self, conversation_id, user_id, interval):
        key = f"{self.PREFIX}typing:{conversation_id}:{user_id}"
        return bool(self.redis.set(key, 1, px=max(int(interval * 1000), 1), nx=True))

    def saw(self, user_id, conversation_id, keep):
        self.redis.set(f"{self.PREFIX}seen:{user_id}:{conversation_id}", repr(time.time()), ex=max(int(keep), 1))

    def seen_at(self, user_id, conversation_id):
        value = self.redis.get(f"{self.PREFIX}seen:{user_id}:{conversation_id}")
        return float(value) if value else None

    def sweep(self):
        # Typing marks expire in Redis by themselves; connections are settled user by user.
        removed, changes = 0, {}
        batch = []
        for raw in self.redis.sscan_iter(self.users_key, count=500):
            batch.append(int(raw))
            if len(batch) >= 500:
                removed += self._sweep_batch(batch, changes)
                batch = []
        if batch:
            removed += self._sweep_batch(batch, changes)
        return removed, changes

    def online(self):
        sockets = users = 0
        batch = list(self.redis.sscan_iter(self.users_key, count=500))
        for start in range(0, len(batch), 500):
            pipe = self.redis.pipeline(transaction=False)
            for raw in batch[start : start + 500]:
                pipe.zcount(f"{self.PREFIX}conns:{int(raw)}", f"({time.time()}", "+inf")
            for live in pipe.execute():
                sockets += live
                users += 1 if live else 0
        return sockets, users

    def _sweep_batch(self, user_ids, changes):
        pipe = self.redis.pipeline(transaction=False)
        for user_id in user_ids:
            self._run(user_id, "settle", client=pipe)
        removed = 0
        for user_id, reply in zip(user_ids, pipe.execute(), strict=True):
            status, changed = self._result(reply)
            removed += int(reply[2])
            if changed:
                changes[user_id] = status
        return removed


_backend = None


def backend():
    global _backend
    wanted = settings.REDIS_URL or "memory"
    if _backend is None or _backend[0] != wanted:
        _backend = (wanted, RedisPresence(settings.REDIS_URL) if settings.REDIS_URL else MemoryPresence())
    return _backend[1]


def _change(result):
    status, changed = result
    return status if changed else None


def connect(user_id, connection):
    """A socket opened -> the user's new status if it changed (the caller announces it), else None."""
    return _change(backend().touch(user_id, connection, ONLINE, settings.PRESENCE_TTL))


def arrive(user_id, connection, others):
    """connect(), and the statuses() of `others`: what a socket asks as it opens, in one call (one
    trip to a thread instead of two)."""
    return connect(user_id, connection), statuses(others)


def heartbeats(connections):
    """Renew these (user id, connection) pairs, keeping their statuses -> for each, the user's new
    status if it changed (a connection that had lapsed comes back), else None."""
    return [_change(result) for result in backend().renew(list(connections), settings.PRESENCE_TTL)]


def set_status(user_id, connection, status):
    return _change(backend().touch(user_id, connection, status, settings.PRESENCE_TTL))


def disconnect(user_id, connection):
    return _change(backend().leave(user_id, connection))


def statuses(user_ids):
    """{user id: "online" | "away"} for those of `user_ids` who are not offline."""
    return backend().statuses(user_ids)


def typing_allowed(conversation_id, user_id):
    """False for a repeat sooner than TYPING_MIN_INTERVAL: the last one has not expired yet."""
    return backend().typing_allowed(str(conversation_id), user_id, settings.TYPING_MIN_INTERVAL)


# How long a look at a conversation is remembered: longer than any notification's grace.
SEEN_KEEP_SECONDS = 24 * 3600


def saw_conversation(user_id, conversation_id):
    """A socket of the user just looked at the conversation (read, sent or typed in it): whoever
    notifies them of it can tell that they are looking."""
    backend().saw(user_id, str(conversation_id), SEEN_KEEP_SECONDS)


def conversation_seen_at(user_id, conversation_id):
    """When (epoch seconds) a socket of the user last looked at the conversation, or None."""
    return backend().seen_at(user_id, str(conversation_id))


def online():
    """(open sockets, users with at least one): what analytics samples each sweep."""
    return backend().online()


def sweep_expired():
    """Remove lapsed connections and typing marks -> (how many entries went, {user id: new status}
    of those whose status changed: the caller announces them to their conversations)."""
    return backend().sweep()
