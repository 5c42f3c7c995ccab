"""The drills' clients: receivers and senders on one asyncio loop (picows), written as a real
client is told to behave (gateway.protocol): reconnect with jittered backoff after any close,
`resume` with the last seq seen per conversation as the first frame after `hello`, fetch over
REST after `resync`, and retry every unacknowledged send with its `client_id` after a reconnect.

Every conversation event a receiver gets is recorded, so a phase can be checked against the
store's own log (`GET .../events?after=`): lost, duplicated, out of order, and seqs delivered
that the log never lists.
"""

import asyncio
import random
import time

import httpx
import orjson
from picows import WSListener, WSMsgType, ws_connect

BACKOFF_FIRST, BACKOFF_MAX = 0.2, 5.0


class Socket(WSListener):
    """One connection; `owner` (a Receiver or a Sender) gets its frames."""

    def __init__(self, owner):
        self.owner = owner
        self.transport = None
        self.hello = asyncio.get_running_loop().create_future()
        self.closed = asyncio.get_running_loop().create_future()

    def on_ws_connected(self, transport):
        self.transport = transport

    def on_ws_frame(self, transport, frame):
        if frame.msg_type == WSMsgType.CLOSE:
            self.owner.fleet.closes[frame.get_close_code()] = self.owner.fleet.closes.get(frame.get_close_code(), 0) + 1
            return
        if frame.msg_type != WSMsgType.TEXT:
            return
        data = orjson.loads(frame.get_payload_as_bytes())
        if data["type"] == "hello":
            transport.send(WSMsgType.TEXT, orjson.dumps({"type": "resume", "conversations": self.owner.last}))
            if not self.hello.done():
                self.hello.set_result(None)
            self.owner.on_hello(self)
            return
        self.owner.on_frame(self, data)

    def on_ws_disconnected(self, transport):
        if not self.closed.done():
            self.closed.set_result(None)

    def send(self, frame):
        if self.transport is not None and not self.closed.done():
            self.transport.send(WSMsgType.TEXT, orjson.dumps(frame))

    def drop(self, clean):
        """Leave: a close frame (clean) or the TCP connection cut (no close frame)."""
        if self.transport is None or self.closed.done():
            return
        if clean:
            self.transport.send_close()
        self.transport.disconnect(graceful=clean)


class Peer:
    """A client that stays connected: it reconnects until `stop()`."""

    def __init__(self, fleet, token, conversation_ids, last):
        self.fleet, self.token = fleet, token
        self.last = {c: last.get(c, 0) for c in conversation_ids}
        self.socket = None
        self.running = False
        self.connected = False
        self.connects = 0
        self.task = None

    def start(self):
        self.running = True
        self.task = asyncio.ensure_future(self._run())

    async def _run(self):
        backoff = BACKOFF_FIRST
        while self.running:
            self.socket = Socket(self)
            try:
                async with self.fleet.gate:
                    headers = {"Sec-WebSocket-Protocol": f"chatsite.v1, token.{self.token}"}
                    await ws_connect(
                        lambda: self.socket, self.fleet.url, extra_headers=headers, websocket_handshake_timeout=30
                    )
                    await asyncio.wait_for(asyncio.shield(self.socket.hello), 30)
                self.connected, backoff = True, BACKOFF_FIRST
                self.connects += 1
                await self.socket.closed
            except Exception:
                self.fleet.failed_connects += 1
                if self.socket.transport is not None:
                    self.socket.transport.disconnect()
            self.connected = False
            if self.running:
                await asyncio.sleep(backoff * (0.5 + random.random()))
                backoff = min(backoff * 2, BACKOFF_MAX)

    def on_hello(self, socket):
        pass

    def drop(self, clean=False):
        if self.socket is not None:
            self.socket.drop(clean)

    async def stop(self):
        self.running = False
        self.drop(clean=True)
        if self.task is not None:
            try:
                await asyncio.wait_for(self.task, 10)
            except (TimeoutError, asyncio.CancelledError):
                self.task.cancel()


class Receiver(Peer):
    def __init__(self, fleet, token, conversation_ids, last):
        super().__init__(fleet, token, conversation_ids, last)
        self.resumed_from = dict(self.last)
        self.new_phase()

    def new_phase(self):
        self.connects = 0
        self.base = dict(self.last)  # the phase checks everything after these seqs
        self.got = {c: set() for c in self.last}
        self.duplicated = self.out_of_order = self.resyncs = 0

    def on_hello(self, socket):
        self.resumed_from = dict(self.last)  # what the resume frame names

    def on_frame(self, socket, data):
        cid = data.get("conversation_id")
        if data["type"] == "resync":
            # The socket will not replay from the resume's seq: fetch (resumed from, seq] over REST.
            self.resyncs += 1
            fill = self.fill(cid, self.resumed_from[cid], data["seq"])
            self.fleet.background.add(asyncio.ensure_future(fill))
            return
        if "seq" not in data or cid not in self.last:
            return
        self.record(cid, data["seq"])

    def record(self, cid, seq, filled=False):
        if seq <= self.base[cid] or seq in self.got[cid]:
            if not filled:  # REST pages may overlap what the socket gave
                self.duplicated += 1
        elif seq <= self.last[cid]:
            if not filled:
                self.out_of_order += 1
            self.got[cid].add(seq)
        else:
            self.got[cid].add(seq)
            self.last[cid] = seq

    async def fill(self, cid, after, upto):
        """After resync: what the socket will not replay, from REST."""
        for event in await self.fleet.listing(self.token, cid, after, upto):
            self.record(cid, event["seq"], filled=True)


class Sender(Peer):
    """Sends into one conversation at `rate` per second; every send is retried with its client_id
    after a reconnect, or after an error that asks for it, until it is acknowledged."""

    def __init__(self, fleet, token, conversation_id, last, tag):
        super().__init__(fleet, token, [conversation_id], last)
        self.cid, self.tag = conversation_id, tag
        self.pending = {}  # client_id -> (frame, first sent at)
        self.acked = {}  # client_id -> seq
        self.n = 0
        self.new_phase()

    def new_phase(self):
        self.connects = 0
        self.sent = self.phase_acked = self.retries = self.conflicts = 0
        self.ack_s = []
        self.last_ack_at = None

    def on_hello(self, socket):
        for frame, _ in list(self.pending.values()):  # what the last connection left unanswered
            self.retries += 1
            socket.send(frame)

    def on_frame(self, socket, data):
        if data["type"] == "ack" and data["result"] and "message" in data["result"]:
            message = data["result"]["message"]
            client_id, seq = message["client_id"], message["seq"]
            if client_id in self.acked and self.acked[client_id] != seq:
                self.conflicts += 1  # one client_id, two messages: a duplicate send
            first = self.pending.pop(client_id, None)
            if client_id not in self.acked:
                self.acked[client_id] = seq
                self.phase_acked += 1
                if first is not None:
                    self.ack_s.append(time.perf_counter() - first[1])
            self.last_ack_at = time.perf_counter()
        elif data["type"] == "error" and data.get("id") in self.pending:
            code = data["error"]["code"]
            self.fleet.errors[code] = self.fleet.errors.get(code, 0) + 1
            frame, _ = self.pending[data["id"]]
            delay = data.get("retry_after") or 1
            asyncio.get_running_loop().call_later(delay * (0.5 + random.random()), self._retry, frame)

    def _retry(self, frame):
        if frame["client_id"] in self.pending and self.connected:
            self.retries += 1
            self.socket.send(frame)

    async def send_for(self, rate, seconds, until=None):
        start, count = time.perf_counter(), int(rate * seconds)
        for i in range(count):
            if until is not None and until.is_set():
                break
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            self.n += 1
            client_id = f"{self.tag}-{self.n}"
            frame = {"type": "send", "id": client_id, "conversation_id": self.cid, "client_id": client_id}
            frame["text"] = f"drill {client_id}"
            self.pending[client_id] = (frame, time.perf_counter())
            self.sent += 1
            if self.connected:
                self.socket.send(frame)


class Fleet:
    def __init__(self, base_url, connect_in_flight=50):
        self.base = base_url
        self.url = base_url.replace("http", "ws", 1) + "/ws/v1/"
        self.gate = asyncio.Semaphore(connect_in_flight)
        self.receivers, self.senders = [], []
        self.failed_connects = 0
        self.errors, self.closes = {}, {}
        self.background = set()  # REST fills after resync
        self.http = httpx.AsyncClient(base_url=base_url, timeout=30)

    def add_room(self, room, receivers, tag):
        cid, tokens = room["id"], room["tokens"]
        last = {cid: room["last"]}
        self.senders.append(Sender(self, tokens[0], cid, last, f"{tag}-{cid[:8]}"))
        self.receivers += [Receiver(self, t, [cid], last) for t in tokens[1 : receivers + 1]]

    def peers(self):
        return self.receivers + self.senders

    async def connect_all(self, timeout=180):
        for peer in self.peers():
            if not peer.running:
                peer.start()
        await self.until(lambda: all(p.connected for p in self.peers()), timeout)

    async def until(self, condition, timeout, poll=0.05):
        """Wait for `condition`; True if it held within `timeout` seconds."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            if condition():
                return True
            await asyncio.sleep(poll)
        return condition()

    def new_phase(self):
        for peer in self.peers():
            peer.new_phase()
        self.errors, self.closes, self.failed_connects = {}, {}, 0

    def acked_heads(self):
        """Per conversation, the highest seq its sender has had acknowledged."""
        return {s.cid: max(s.acked.values(), default=0) for s in self.senders}

    def caught_up(self, heads):
        return all(r.connected and all(r.last[c] >= heads.get(c, 0) for c in r.last) for r in self.receivers)

    def settled(self):
        """Nothing unacknowledged, and every receiver has everything acknowledged."""
        return all(not s.pending for s in self.senders) and self.caught_up(self.acked_heads())

    async def send(self, rate, seconds, until=None):
        """`rate` sends per second per sender for `seconds` (or until the event is set)."""
        await asyncio.gather(*(s.send_for(rate, seconds, until) for s in self.senders))

    async def listing(self, token, cid, after, upto=None):
        """The conversation's log after `after` (up to `upto`), paged as a client does."""
        events = []
        while True:
            for attempt in range(5):
                try:
                    response = await self.http.get(
                        f"/api/v1/conversations/{cid}/events",
                        params={"after": after, "limit": 100},
                        headers={"Authorization": f"Token {token}"},
                    )
                    response.raise_for_status()
                    break
                except httpx.HTTPError:
                    if attempt == 4:
                        raise
                    await asyncio.sleep(1 + attempt)
            page = response.json()["results"]
            if not page:
                return events
            events += page
            after = page[-1]["seq"]
            if upto is not None and after >= upto:
                return [e for e in events if e["seq"] <= upto]

    async def check(self):
        """The phase against the store's log: per receiver and conversation, every listed seq
        after the phase's start received once and in order; no seq received that is not listed;
        one message per client_id."""
        out = {"sends": 0, "acked": 0, "unacked": 0, "lost": 0, "duplicated": 0, "out_of_order": 0}
        out.update(not_listed=0, retries=0, resyncs=0, reconnects=0)
        logs = {}
        for sender in self.senders:
            logs[sender.cid] = await self.listing(sender.token, sender.cid, 0)
            out["sends"] += sender.sent
            out["acked"] += sender.phase_acked
            out["unacked"] += len(sender.pending)
            out["retries"] += sender.retries
            out["duplicated"] += sender.conflicts
            by_client = {}
            for event in logs[sender.cid]:
                message = event.get("message") or {}
                if event["type"] == "message.created" and message.get("client_id", "").startswith(sender.tag):
                    by_client.setdefault(message["client_id"], []).append(event["seq"])
            out["duplicated"] += sum(len(seqs) - 1 for seqs in by_client.values())
            listed_seqs = {e["seq"] for e in logs[sender.cid]}
            out["lost"] += sum(1 for seq in sender.acked.values() if seq not in listed_seqs)  # acked, not stored
        for receiver in self.receivers:
            out["duplicated"] += receiver.duplicated
            out["out_of_order"] += receiver.out_of_order
            out["resyncs"] += receiver.resyncs
            for cid, got in receiver.got.items():
                listed = {e["seq"] for e in logs[cid] if e["seq"] > receiver.base[cid]}
                out["lost"] += len(listed - got)
                out["not_listed"] += len(got - listed)
        out["reconnects"] = sum(p.connects for p in self.peers())
        acks = sorted(x for s in self.senders for x in s.ack_s)
        out["ack_p50_s"] = round(acks[len(acks) // 2], 3) if acks else None
        out["ack_p99_s"] = round(acks[int(len(acks) * 0.99)], 3) if acks else None
        out["error_frames"] = dict(self.errors)
        out["close_codes"] = {str(k): v for k, v in self.closes.items()}
        return out

    async def close(self):
        await asyncio.gather(*(p.stop() for p in self.peers()))
        await self.http.aclose()
