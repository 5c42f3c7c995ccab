// One WebSocket to /ws/v1/ (protocol: chats/protocol.py), authenticated by the session cookie.
// It reconnects with jittered exponential backoff, waits for the browser to be online again, and
// lets the app resume after every `hello`.

import { randomId } from "./dom.js";

const REQUEST_TIMEOUT = 15000;
const PONG_TIMEOUT = 10000;

export class SocketClosed extends Error {
  constructor() {
    super("The connection was lost; it will be retried.");
    this.code = "disconnected";
  }
}

export class Connection {
  // handlers: { hello(frame) -> Promise, frame(frame), state(name, detail), closed(code) -> "stop"? }
  constructor(config, handlers) {
    this.config = config;
    this.handlers = handlers;
    this.ws = null;
    this.pending = new Map();
    this.attempt = 0;
    this.timer = null;
    this.stopped = true;
    this.live = false;
    this.onOnline = () => this.connectNow();
    this.onOffline = () => this.drop("offline");
  }

  start() {
    this.stopped = false;
    window.addEventListener("online", this.onOnline);
    window.addEventListener("offline", this.onOffline);
    this.connect();
  }

  stop(state = "stopped") {
    this.stopped = true;
    window.removeEventListener("online", this.onOnline);
    window.removeEventListener("offline", this.onOffline);
    clearTimeout(this.timer);
    this.drop(state);
  }

  get online() {
    return this.live && this.ws !== null;
  }

  setState(name, detail = {}) {
    this.state = name;
    this.handlers.state(name, detail);
  }

  connectNow() {
    if (this.stopped || this.ws) return;
    clearTimeout(this.timer);
    this.attempt = 0;
    this.connect();
  }

  connect() {
    if (this.stopped || this.ws) return;
    if (!navigator.onLine) return this.setState("offline");
    this.setState(this.attempt ? "reconnecting" : "connecting");
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(`${scheme}//${location.host}${this.config.socket_path}`, [this.config.subprotocol]);
    this.ws = ws;
    this.live = false;
    ws.onmessage = (event) => this.receive(event.data);
    ws.onclose = (event) => {
      if (this.ws === ws) this.closed(event.code);
    };
  }

  // Give the socket up at once (offline, stop): don't wait for a close handshake that may never come.
  drop(state) {
    const ws = this.ws;
    if (ws) {
      ws.onmessage = ws.onclose = null;
      try {
        ws.close(1000);
      } catch {
        /* already closing */
      }
    }
    this.ws = null;
    this.live = false;
    clearInterval(this.pinger);
    this.failPending();
    this.setState(state);
  }

  failPending() {
    for (const { reject, timer } of this.pending.values()) {
      clearTimeout(timer);
      reject(new SocketClosed());
    }
    this.pending.clear();
  }

  closed(code) {
    this.ws = null;
    this.live = false;
    clearInterval(this.pinger);
    this.failPending();
    if (this.handlers.closed(code) === "stop") {
      this.stopped = true;
      return;
    }
    if (this.stopped) return;
    if (!navigator.onLine) return this.setState("offline");
    const slow = code === this.config.close_codes.rate_limited ? 4 : 1;
    const delay = Math.min(30, 0.5 * 2 ** this.attempt) * slow * (0.5 + Math.random() / 2);
    this.attempt += 1;
    this.setState("waiting", { seconds: Math.ceil(delay) });
    this.timer = setTimeout(() => this.connect(), delay * 1000);
  }

  async receive(data) {
    let frame;
    try {
      frame = JSON.parse(data);
    } catch {
      return;
    }
    if (frame.type === "hello") return this.hello(frame);
    if (frame.id !== undefined && frame.id !== null && this.pending.has(frame.id)) {
      const { resolve, reject, timer } = this.pending.get(frame.id);
      this.pending.delete(frame.id);
      clearTimeout(timer);
      if (frame.type === "error") {
        const error = new Error(frame.error.message);
        Object.assign(error, { code: frame.error.code, fields: frame.error.fields, retryAfter: frame.retry_after });
        reject(error);
      } else resolve(frame.type === "ack" ? frame.result : frame);
      return;
    }
    this.handlers.frame(frame);
  }

  async hello(frame) {
    const ws = this.ws;
    this.live = true; // requests may go out now; the first must be the resume
    try {
      await this.handlers.hello(frame);
    } catch {
      return this.abandon(ws);
    }
    if (this.ws !== ws) return;
    this.attempt = 0;
    this.setState("online");
    clearInterval(this.pinger);
    // A ping per heartbeat proves the path still works; a lost one means a dead socket.
    this.pinger = setInterval(() => this.probe(ws), Math.max(5, frame.heartbeat || 20) * 1000);
  }

  probe(ws) {
    this.request({ type: "ping" }, PONG_TIMEOUT).catch(() => this.abandon(ws));
  }

  // A socket that stopped answering: close it and go through the usual reconnect.
  abandon(ws) {
    if (this.ws !== ws) return;
    ws.onmessage = ws.onclose = null;
    ws.close();
    this.closed(0);
  }

  request(frame, timeout = REQUEST_TIMEOUT) {
    if (!this.online) return Promise.reject(new SocketClosed());
    const id = randomId("r");
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new SocketClosed());
      }, timeout);
      this.pending.set(id, { resolve, reject, timer });
      this.ws.send(JSON.stringify({ ...frame, id }));
    });
  }

  // Fire and forget (typing, read, presence): nothing to do when it is lost.
  notify(frame) {
    if (this.online) this.ws.send(JSON.stringify(frame));
  }
}
