// Messages written but not yet confirmed by the server. Each keeps the client_id it was given when
// it was written, so sending it again after a reconnect can never make a second message. Kept in
// sessionStorage too, so a reload of the tab doesn't lose them. A thread reply is one of them too,
// with the root it replies to: the main log leaves it out, its thread's panel shows it.

import { randomId } from "./dom.js";

export class Outbox {
  constructor(key) {
    this.key = key;
    this.items = [];
    this.flushing = false;
    try {
      this.items = JSON.parse(sessionStorage.getItem(key) || "[]");
    } catch {
      this.items = [];
    }
    for (const item of this.items) if (item.status === "sending") item.status = "pending";
  }

  save() {
    try {
      sessionStorage.setItem(this.key, JSON.stringify(this.items));
    } catch {
      /* private mode or full: the queue still lives in memory */
    }
  }

  add(conversationId, text, parentId, threadRoot = null) {
    const item = {
      client_id: randomId("web-"),
      conversation_id: conversationId,
      text,
      parent_id: parentId || null,
      thread_root: threadRoot,
      created_at: new Date().toISOString(),
      status: "pending",
      error: "",
    };
    this.items.push(item);
    this.save();
    return item;
  }

  // The main log's pending messages: not the replies (an item queued before threads has no thread_root).
  forConversation(conversationId) {
    return this.items.filter((item) => item.conversation_id === conversationId && !item.thread_root);
  }

  forThread(rootId) {
    return this.items.filter((item) => item.thread_root === rootId);
  }

  remove(clientId) {
    this.items = this.items.filter((item) => item.client_id !== clientId);
    this.save();
  }

  retry(clientId) {
    const item = this.items.find((i) => i.client_id === clientId);
    if (item) Object.assign(item, { status: "pending", error: "" });
    this.save();
  }

  // Send the pending items in the order they were written, one at a time, so they arrive in that
  // order. send(item) resolves with the server's message or throws; changed() redraws.
  async flush(send, changed) {
    if (this.flushing) return;
    this.flushing = true;
    try {
      for (;;) {
        const item = this.items.find((i) => i.status === "pending");
        if (!item) return;
        item.status = "sending";
        changed(item);
        try {
          const message = await send(item);
          this.remove(item.client_id);
          changed(item, message);
        } catch (error) {
          if (error.code === "disconnected" || error.code === "network") {
            item.status = "pending";
            changed(item);
            return; // the next hello flushes again
          }
          if (error.code === "held_for_review") {
            // Kept aside by the moderation models: nobody else sees it until a moderator lets it
            // through, and then it arrives as a message with this client_id, which replaces it.
            Object.assign(item, { status: "held", error: "" });
            this.save();
            changed(item);
            continue;
          }
          if (error.code === "rate_limited") {
            // Said on the message, with when it goes again, instead of a "Sending…" that never ends.
            const wait = (error.retryAfter || 1) * 1000;
            Object.assign(item, { status: "pending", resumeAt: Date.now() + wait });
            changed(item);
            await new Promise((done) => setTimeout(done, wait));
            delete item.resumeAt;
            continue;
          }
          Object.assign(item, { status: "failed", error: error.message });
          this.save();
          changed(item);
        }
      }
    } finally {
      this.flushing = false;
    }
  }
}
