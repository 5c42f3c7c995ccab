"""One object per running event loop: the fan-out hub, its publisher and health watch, the presence
announcer and heartbeats.

A server process runs one loop; the tests run one after another. The objects hold their loop (to
schedule on it), so a weak mapping would never let an entry go: the entries of closed loops are
dropped instead, whenever a new loop asks for its own.
"""

import asyncio


class PerLoop:
    def __init__(self, factory):
        self.factory = factory  # loop -> the object for that loop
        self.objects = {}

    def __call__(self):
        """The running loop's object, made on first use."""
        loop = asyncio.get_running_loop()
        found = self.objects.get(loop)
        if found is None:
            for old in [old for old in self.objects if old.is_closed()]:
                del self.objects[old]
            found = self.objects[loop] = self.factory(loop)
        return found

    def items(self):
        """(loop, object) for each loop still open."""
        return [(loop, found) for loop, found in list(self.objects.items()) if not loop.is_closed()]
