"""Changes that arrive through several groups, told to each socket once.

A change of someone's status or profile is published to each of their conversations, all copies
at once, and a socket in two of those conversations hears it twice. Every copy carries the
change's stamp: the message's `stamp`, or the last item of each of its `changes`. The hub
remembers, for each stamp it delivered lately, the groups it went through; a socket in one of those
groups had it already, and gets the message without that change.

That is memory per change (a stamp and the names of a few groups) in each process, not per
socket: each socket remembering the stamps it heard was the largest part of an idle socket, 3.6 KB
after its room of 100 came online (bench.socket_memory).

A stamp is kept STAMPS_KEPT_SECONDS at least and twice that at most, in two generations aged by
one timer while there are any: the copies of one change are published together and arrive within
milliseconds of each other.
"""

STAMPS_KEPT_SECONDS = 10.0


def stamps(message):
    """The stamps of the changes a group message carries, in order ([] for other messages)."""
    if "changes" in message:
        return [change[-1] for change in message["changes"]]
    if "stamp" in message:
        return [message["stamp"]]
    return []


class Once:
    def __init__(self, loop):
        self.loop = loop
        self.recent, self.older = {}, {}  # stamp -> the groups it was delivered through

    def deliveries(self, group, message, members, groups):
        """(socket, message) for each of `members` (the sockets of `group`): the message without
        the changes the socket was told through another group, and nothing for a socket that was
        told them all; a message that carries no stamp, to every member as it is. `groups`: the
        hub's group -> sockets, as they are now."""
        carried = stamps(message)
        if not carried:  # the fan-out's hot path: conversation events, typing, receipts
            return [(socket, message) for socket in members]
        here = set(members)
        told_before = {}  # stamp -> the sockets of `group` that had it through an earlier group
        unions = {}  # earlier groups -> their sockets that are in `group`: a batch's changes share few
        for stamp in carried:
            earlier = self._groups_of(stamp)
            if earlier:
                if earlier not in unions:
                    unions[earlier] = set().union(*(here.intersection(groups.get(g, ())) for g in earlier))
                told_before[stamp] = unions[earlier]
            self._remember(stamp, group)
        affected = set().union(*told_before.values())
        if not affected:
            return [(socket, message) for socket in members]
        out = []
        for socket in members:
            if socket not in affected:
                out.append((socket, message))
                continue
            had = {stamp for stamp, sockets in told_before.items() if socket in sockets}
            if len(had) < len(set(carried)):  # only a message of several changes keeps some of them
                out.append((socket, dict(message, changes=[c for c in message["changes"] if c[-1] not in had])))
        return out

    def _groups_of(self, stamp):
        return (*self.recent.get(stamp, ()), *self.older.get(stamp, ()))

    def _remember(self, stamp, group):
        if not self.recent and not self.older:
            self.loop.call_later(STAMPS_KEPT_SECONDS, self._age)
        self.recent.setdefault(stamp, []).append(group)

    def _age(self):
        self.older, self.recent = self.recent, {}
        if self.older:
            self.loop.call_later(STAMPS_KEPT_SECONDS, self._age)
