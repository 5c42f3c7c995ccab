"""The load generator's worker process: many WebSocket clients on one asyncio loop (picows, whose
frame parser is compiled, so that the generator spends little of the 2 cores it shares with the
server).

A worker owns whole rooms: every member socket of a room, and the room's sender socket, live in
the same process. So it knows exactly which seqs its sender had acknowledged and can check, per
client and conversation, that every message arrived once and in seq order.

The coordinator (bench.ws_load) gives each worker a plan and drives it through a pipe:
"connect" -> {"connected_s"}; a step {"n", "rate", "seconds", "drop_at"} -> runs the sends (and
the drop, in a storm) on the sockets already open and answers with the results; "census" -> how
many of its sockets are open and how many were reopened; "stop".

A plan's "local_host" (a loopback address such as 127.0.0.3) is the source address of its sockets:
one source address has about 28,000 ephemeral ports towards one server port, so a run of more
sockets gives each worker an address of its own.
"""

import asyncio
import time

import orjson
from picows import WSListener, WSMsgType, ws_connect

CONNECT_ATTEMPTS = 5
# After the last send, how long clients may take to receive everything (unless the plan says
# otherwise in "drain_seconds").
DRAIN_SECONDS = 30


class Client(WSListener):
    """One socket. It resumes from the last seq it saw per conversation, on its first connect too,
    so a message sent before it went live still reaches it (from the store)."""

    def __init__(self, worker, token, last):
        self.worker, self.token = worker, token
        self.last = dict(last)  # conversation id -> last seq received
        self.count = dict.fromkeys(last, 0)
        self.seq_sum = dict.fromkeys(last, 0)
        self.disorder = 0  # a seq at or below the last one: a duplicate or out of order
        self.sender = None  # the Sender, for the socket that sends
        self.renew()

    def renew(self):
        """Fresh connection state, keeping what was received."""
        self.hello = asyncio.get_running_loop().create_future()
        self.closed = asyncio.get_running_loop().create_future()
        self.transport = None

    def on_ws_connected(self, transport):
        self.transport = transport

    def opened(self):
        """Whether this connection got its hello. One closed before it failed to open, and its
        opener (open_all) tries again; reopening it here too would give the client two sockets."""
        hello = self.hello
        # A hello waited out is cancelled (asyncio.wait_for), and exception() would raise.
        return hello is not None and hello.done() and not hello.cancelled() and hello.exception() is None

    def on_ws_frame(self, transport, frame):
        if frame.msg_type == WSMsgType.CLOSE:
            # Recorded by code: a server that closes sockets under load says why here.
            code = f"close {frame.get_close_code()}"
            self.worker.kinds[code] = self.worker.kinds.get(code, 0) + 1
            return
        data = orjson.loads(frame.get_payload_as_bytes())
        kind = data["type"]
        self.worker.kinds[kind] = self.worker.kinds.get(kind, 0) + 1
        if kind == "message.created":
            self._message(data)
        elif kind == "hello":
            resume = {"type": "resume", "id": "r", "conversations": self.last}
            transport.send(WSMsgType.TEXT, orjson.dumps(resume))
            if not self.hello.done():
                self.hello.set_result(time.perf_counter())
        elif kind == "ack" and self.sender is not None and data["result"] and "message" in data["result"]:
            self.sender.acked(data["result"]["message"]["seq"])
            self.worker.ack_ms.append((time.time() - float(data["result"]["message"]["text"][1:])) * 1000)
        elif kind in ("error", "resync"):
            self.worker.problems.append(data)

    def _message(self, data):
        cid, seq = data["conversation_id"], data["seq"]
        if seq <= self.last[cid]:
            self.disorder += 1
            return
        self.last[cid] = seq
        self.count[cid] += 1
        self.seq_sum[cid] += seq
        if self.sender is None and self.worker.recording:
            sent_at = float(data["message"]["text"][1:])
            now = time.time()
            self.worker.latencies.append((now - sent_at) * 1000)
            self.worker.delivered += 1
            self.worker.last_at = now

    def on_ws_disconnected(self, transport):
        if not self.closed.done():
            self.closed.set_result(None)
        if self.hello is not None and not self.hello.done():
            # Closed before hello (the server refused it for now): the open fails at once and is
            # tried again, as a real client does, instead of waiting out the hello timeout.
            self.hello.set_exception(ConnectionError("closed before hello"))
        self.worker.lost_socket(self)


class Sender:
    """Sends into one room at a fixed rate, each text carrying its wall-clock send time."""

    def __init__(self, client, conversation_id):
        self.client, self.cid = client, conversation_id
        self.seqs = []  # acknowledged since connecting
        self.sent = 0
        self.last_ack_at = None  # wall clock

    def acked(self, seq):
        self.seqs.append(seq)
        self.last_ack_at = time.time()

    async def run(self, rate, seconds, tag, phase):
        """`phase` (0 to 1) spreads the senders over each period: together they send at an even
        total rate, not in bursts."""
        start, n = time.perf_counter() + phase / rate, int(seconds * rate)
        for i in range(n):
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            frame = {
                "type": "send",
                "id": i,
                "conversation_id": self.cid,
                "client_id": f"{tag}-{i}",
                "text": f"t{time.time():.6f}",
            }
            self.client.transport.send(WSMsgType.TEXT, orjson.dumps(frame))
            self.sent += 1


class Worker:
    def __init__(self, plan):
        self.plan = plan
        self.url = plan["url"]
        self.drain_seconds = plan.get("drain_seconds", DRAIN_SECONDS)
        self.latencies, self.delivered, self.recording = [], 0, False
        self.go_at = self.last_at = None  # wall clock: the first send may leave, the last delivery
        self.problems = []
        self.retries = 0  # connects that failed and were tried again
        self.kinds = {}  # frames received, by type
        self.ack_ms = []  # send to ack, at the senders
        self.members, self.senders = [], []
        # A socket the server closes is reopened with resume, as a real client does, so "lost"
        # counts only what never arrives; the closes are counted and reported beside it.
        self.reopening, self.reopened, self.expect_closes = set(), 0, False

    async def open(self, client):
        headers = {"Sec-WebSocket-Protocol": f"chatsite.v1, token.{client.token}"}
        source = {"local_addr": (self.plan["local_host"], 0)} if self.plan.get("local_host") else {}
        await ws_connect(lambda: client, self.url, extra_headers=headers, websocket_handshake_timeout=60, **source)
        await asyncio.wait_for(client.hello, 60)

    def lost_socket(self, client):
        if self.expect_closes or not client.opened() or client.sender is not None:
            return  # our own drop or shutdown, or a socket still being opened (open_all retries it)
        task = asyncio.ensure_future(self._reopen(client))
        self.reopening.add(task)
        task.add_done_callback(self.reopening.discard)

    async def _reopen(self, client):
        self.reopened += 1
        client.renew()
        await self.open_all([client])

    async def open_all(self, clients):
        # Handshakes a worker has open at once. Kept low for the fan-out steps: the Channels Redis
        # layer refuses sockets once a burst of connects exhausts its pool of 100 connections.
        gate = asyncio.Semaphore(self.plan.get("connect_in_flight", 25))

        async def one(client):
            # As a real client does: a refused or failed connect is tried again after a pause.
            for attempt in range(CONNECT_ATTEMPTS):
                try:
                    async with gate:
                        return await self.open(client)
                except Exception:
                    if attempt == CONNECT_ATTEMPTS - 1:
                        raise
                    self.retries += 1
                    if client.transport is not None:
                        client.transport.disconnect()
                    client.renew()
                    await asyncio.sleep(0.5 * (attempt + 1))

        await asyncio.gather(*(one(c) for c in clients))

    async def connect(self):
        """Open every member socket, and a sender socket per room (as its first member). Without
        member sockets (plan "member_sockets": false) only the senders: the send path alone."""
        started = time.perf_counter()
        for room in self.plan["rooms"]:
            last = {room["id"]: room["last"]}
            if self.plan.get("member_sockets", True):
                self.members.extend((room["id"], Client(self, t, last)) for t in room["tokens"])
            client = Client(self, room["tokens"][0], last)
            client.sender = Sender(client, room["id"])
            self.senders.append(client.sender)
        await self.open_all([m for _, m in self.members] + [s.client for s in self.senders])
        return time.perf_counter() - started

    async def go(self, step):
        """One load step on the connected sockets: `rate` sends per second in each room for
        `seconds`, then wait until everything sent has arrived. What was received is checked
        against everything acknowledged since connecting."""
        self.latencies, self.delivered, self.ack_ms, self.problems = [], 0, [], []
        self.reopened, self.kinds = 0, {}
        self.recording, self.go_at, self.last_at = True, time.time(), None
        first, total, tag = self.plan["first_sender"], self.plan["senders"], f"{self.plan['tag']}-{step['n']}"
        sending = [
            asyncio.ensure_future(s.run(step["rate"], step["seconds"], f"{tag}-{i}", (first + i) / total))
            for i, s in enumerate(self.senders)
        ]
        storm = None
        if step.get("drop_at") is not None:
            await asyncio.sleep(step["drop_at"])
            storm = await self.storm()
        await asyncio.gather(*sending)
        self.recording = False
        drained = await self.drain()
        return {
            "latencies_ms": self.latencies,
            "delivered": self.delivered,
            "go_at": self.go_at,
            "last_at": self.last_at,
            "check": self.check(),
            "drained_s": drained,
            "storm": storm,
            "problems": self.problems[:5],
            "problem_count": len(self.problems),
            "connect_retries": self.retries,
            "frames": self.kinds,
            "reopened": self.reopened,
            "ack_ms": self.ack_ms,
            "sockets": len(self.members) + len(self.senders),
            "last_ack_at": max((s.last_ack_at or 0 for s in self.senders), default=0),
        }

    async def storm(self):
        """Drop every member socket at once (no close frame), reconnect all with resume, and time
        until each has every message its room's sender had acknowledged at the drop."""
        dropped_at = time.perf_counter()
        targets = {s.cid: max(s.seqs, default=0) for s in self.senders}
        self.expect_closes = True
        for _, client in self.members:
            client.transport.disconnect()
        await asyncio.gather(*(c.closed for _, c in self.members))
        self.expect_closes = False
        fresh = []
        for cid, old in self.members:
            client = Client(self, old.token, old.last)
            client.count, client.seq_sum, client.disorder = old.count, old.seq_sum, old.disorder
            fresh.append((cid, client))
        self.members = fresh
        await self.open_all([c for _, c in fresh])
        reconnected = time.perf_counter() - dropped_at
        deadline = time.perf_counter() + self.drain_seconds
        while any(c.last[cid] < targets[cid] for cid, c in fresh) and time.perf_counter() < deadline:
            await asyncio.sleep(0.01)
        return {"clients": len(fresh), "reconnected_s": reconnected, "caught_up_s": time.perf_counter() - dropped_at}

    async def drain(self):
        """After the last send: wait until every send is acknowledged and every member has it."""
        if not self.senders:
            return 0.0
        started = time.perf_counter()
        while time.perf_counter() - started < self.drain_seconds:
            if all(len(s.seqs) >= s.sent for s in self.senders):
                final = {s.cid: max(s.seqs, default=0) for s in self.senders}
                if all(c.last[cid] >= final[cid] for cid, c in self.members):
                    break
            await asyncio.sleep(0.05)
        return time.perf_counter() - started

    def check(self):
        """Per client and conversation: received exactly the acknowledged seqs, each once, in order."""
        expected = {s.cid: (len(s.seqs), sum(s.seqs)) for s in self.senders}
        sent = sum(s.sent for s in self.senders)
        lost = duplicated = 0
        for cid, client in self.members:
            count, total = expected.get(cid, (0, 0))
            lost += max(0, count - client.count[cid])
            duplicated += client.disorder + max(0, client.count[cid] - count)
            if client.count[cid] == count and client.seq_sum[cid] != total:
                lost += 1  # same number, different seqs: something was missed and something else came
        acked = sum(len(s.seqs) for s in self.senders)
        return {"sent": sent, "acked": acked, "lost": lost, "duplicated": duplicated}

    def census(self):
        clients = [c for _, c in self.members] + [s.client for s in self.senders]
        return {"open": sum(not c.closed.done() for c in clients), "reopened": self.reopened}

    async def close(self):
        self.expect_closes = True
        for _, client in self.members:
            if client.transport is not None:
                client.transport.disconnect()
        for sender in self.senders:
            sender.client.transport.disconnect()


def run_worker(plan, pipe):
    """Process entry: follows the coordinator's commands until "stop"."""
    import uvloop

    async def main():
        worker = Worker(plan)
        while True:
            command = await asyncio.get_running_loop().run_in_executor(None, pipe.recv)
            try:
                if command == "connect":
                    pipe.send({"connected_s": await worker.connect(), "connect_retries": worker.retries})
                elif command == "census":
                    pipe.send(worker.census())
                elif isinstance(command, dict):  # a load step
                    pipe.send(await worker.go(command))
                elif command == "stop":
                    await worker.close()
                    pipe.send("stopped")
                    return
            except Exception as exc:  # reported to the coordinator, which fails the run
                pipe.send({"failed": f"{exc.__class__.__name__}: {exc}"})
                return

    uvloop.run(main())
