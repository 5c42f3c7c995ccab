// Threads: the side panel with one thread (its root, its replies, its own composer), and the list of
// threads I follow with their unread replies. Replies are ordinary messages of the conversation with
// `thread_root` set: the main log leaves them out, and shows on each root its reply count instead.

import { api, get, post, query } from "./api.js";
import { avatar } from "./avatar.js";
import { $, h, randomId } from "./dom.js";
import { renderText, snippet } from "./render.js";
import { conversationName, ensureUsers, store, userName } from "./state.js";

const PAGE = 50;
const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });

export const thread = {
  root: null, // the open thread's root message, or null when the panel is closed
  replies: [], // ascending seq
  following: false,
  lastRead: 0,
  followed: [], // GET /threads rows: {root, last_read_seq, unread_count}
};
let hooks = {}; // set by app.js: rootChanged(conversation id, root id, summary)
let returnFocus = null;

export function setThreadHooks(h) {
  hooks = h;
}

export function isReply(message) {
  return Boolean(message && message.thread_root);
}

// "3 replies · last 14:02" under a root in the main log.
export function summaryText(message) {
  const count = message.reply_count === 1 ? "1 reply" : `${message.reply_count} replies`;
  return message.last_reply_at ? `${count} · last ${timeFormat.format(new Date(message.last_reply_at))}` : count;
}

export async function openThread(root) {
  returnFocus = document.activeElement;
  Object.assign(thread, { root, replies: [], following: false, lastRead: 0 });
  const panel = $("#thread-panel");
  panel.hidden = false;
  document.body.classList.add("thread-open");
  $("#thread-status").textContent = "Loading…";
  render();
  $("#thread-text").focus();
  let answer;
  try {
    answer = await get(`conversations/${root.conversation_id}/threads/${root.id}?${query({ limit: PAGE })}`);
  } catch (error) {
    if (thread.root && thread.root.id === root.id) failed(error, () => openThread(root));
    return;
  }
  if (!thread.root || thread.root.id !== root.id) return; // another thread was opened meanwhile
  await ensureUsers([answer.root.sender_id, ...answer.replies.map((m) => m.sender_id)]);
  Object.assign(thread, {
    root: answer.root,
    replies: answer.replies,
    following: answer.following,
    lastRead: answer.last_read_seq,
  });
  $("#thread-status").textContent = answer.replies.length >= PAGE ? "Older replies are not shown." : "";
  render();
  markThreadRead();
}

export function closeThread() {
  thread.root = null;
  $("#thread-panel").hidden = true;
  document.body.classList.remove("thread-open");
  if (returnFocus && returnFocus.isConnected) returnFocus.focus();
}

function failed(error, retry) {
  $("#thread-status").replaceChildren(
    h("span", { class: "form-error", text: `${error.message} ` }),
    h("button", { type: "button", text: "Retry", onclick: retry }),
  );
}

// A reply from the socket (or my own ack): into the open panel if it is its thread; the root's
// summary, which the event carries, goes to the main log through the hook.
export function applyReply(message, summary) {
  if (summary) hooks.rootChanged(message.conversation_id, message.thread_root, summary);
  if (thread.root && thread.root.id === message.thread_root) {
    const at = thread.replies.findIndex((m) => m.id === message.id);
    if (at >= 0) thread.replies[at] = message;
    else {
      let i = thread.replies.length;
      while (i > 0 && thread.replies[i - 1].seq > message.seq) i -= 1;
      thread.replies.splice(i, 0, message);
    }
    if (summary) Object.assign(thread.root, { reply_count: summary.reply_count, last_reply_at: summary.last_reply_at });
    ensureUsers([message.sender_id]).then((changed) => changed && render());
    render();
    markThreadRead();
  }
  refreshFollowedSoon();
}

// The open thread's root changed (an edit, a reaction, a delete): the panel shows it as it is now.
export function applyRoot(message) {
  if (thread.root && thread.root.id === message.id) {
    thread.root = { ...message, reply_count: thread.root.reply_count, last_reply_at: thread.root.last_reply_at };
    render();
  }
}

// Someone's name or picture changed: the open panel draws its people again.
export function redrawThread() {
  render();
}

function markThreadRead() {
  const last = thread.replies.length ? thread.replies[thread.replies.length - 1].seq : 0;
  if (!thread.root || document.visibilityState !== "visible" || last <= thread.lastRead) return;
  thread.lastRead = last;
  const root = thread.root;
  post(`conversations/${root.conversation_id}/threads/${root.id}/read`, { seq: last })
    .then(refreshFollowedSoon)
    .catch((error) => failed(error, markThreadRead));
}

async function toggleFollow() {
  const root = thread.root;
  const path = `conversations/${root.conversation_id}/threads/${root.id}/follow`;
  try {
    const answer = await api(thread.following ? "DELETE" : "PUT", path);
    thread.following = answer.following;
    render();
    refreshFollowedSoon();
  } catch (error) {
    failed(error, toggleFollow);
  }
}

async function sendReply(event) {
  event.preventDefault();
  const box = $("#thread-text");
  const text = box.value;
  if (!text.trim() || !thread.root) return;
  const root = thread.root;
  const frame = { type: "send", conversation_id: root.conversation_id, client_id: randomId("t"), text, thread_root: root.id };
  $("#thread-error").textContent = "";
  try {
    // Over the socket when it is up, REST otherwise; the client_id makes a second try harmless.
    let message = null;
    if (store.connection && store.connection.online) {
      try {
        message = (await store.connection.request(frame)).message;
      } catch (error) {
        if (error.code !== "disconnected") throw error;
      }
    }
    if (!message) {
      const { type: _type, conversation_id: _id, ...body } = frame;
      message = await post(`conversations/${root.conversation_id}/messages`, body);
    }
    box.value = "";
    thread.following = true; // replying follows the thread (the server did the same)
    applyReply(message, null);
  } catch (error) {
    $("#thread-error").textContent = error.message;
  }
}

function replyItem(m) {
  const created = new Date(m.created_at);
  return h(
    "li",
    { class: `message${m.sender_id === store.me.id ? " mine" : ""}${m.deleted ? " deleted" : ""}`, id: `t-${m.id}` },
    avatar(m.sender_id),
    h(
      "div",
      { class: "meta" },
      h("span", { class: "sender", text: userName(m.sender_id) }),
      " ",
      h("time", { datetime: m.created_at, text: timeFormat.format(created) }),
    ),
    m.deleted ? h("div", { class: "text tombstone", text: "This message was deleted." }) : h("div", { class: "text" }, renderText(m.text)),
  );
}

function render() {
  const root = thread.root;
  if (!root) return;
  const entry = store.conversations.get(root.conversation_id);
  $("#thread-where").textContent = entry ? conversationName(entry) : "";
  const rootItem = replyItem(root);
  rootItem.append(h("p", { class: "thread-count", text: summaryText(root) }));
  $("#thread-root").replaceChildren(rootItem);
  $("#thread-replies").replaceChildren(...thread.replies.map(replyItem));
  const follow = $("#thread-follow");
  follow.textContent = thread.following ? "Unfollow" : "Follow";
  follow.setAttribute("aria-pressed", String(thread.following));
  const log = $("#thread-log");
  log.scrollTop = log.scrollHeight;
}

// --- the threads I follow ---

let followedTimer = null;
export function refreshFollowedSoon() {
  clearTimeout(followedTimer);
  followedTimer = setTimeout(loadFollowed, 300);
}

export async function loadFollowed() {
  if (!store.me) return;
  try {
    const { results } = await get("threads");
    thread.followed = results;
    await ensureUsers(results.map((r) => r.root.sender_id));
  } catch (error) {
    $("#threads-list").replaceChildren(h("li", { class: "form-error", text: error.message }));
    return;
  }
  renderFollowed();
}

function renderFollowed() {
  const unread = thread.followed.reduce((sum, row) => sum + row.unread_count, 0);
  const button = $("#threads-button");
  button.textContent = unread ? `Threads (${unread})` : "Threads";
  button.setAttribute("aria-label", unread ? `Threads, ${unread} unread replies` : "Threads");
  const list = $("#threads-list");
  if (!thread.followed.length) {
    list.replaceChildren(h("li", { class: "empty", text: "You follow no thread yet. Reply in one, or follow it." }));
    return;
  }
  list.replaceChildren(
    ...thread.followed.map((row) => {
      const entry = store.conversations.get(row.root.conversation_id);
      return h(
        "li",
        {},
        h(
          "button",
          {
            type: "button",
            class: "followed-thread",
            onclick: () => {
              $("#threads-dialog").close();
              hooks.openFromList(row.root);
            },
          },
          h("span", { class: "name", text: `${entry ? conversationName(entry) : ""} · ${userName(row.root.sender_id)}` }),
          h("span", { class: "last", text: row.root.deleted ? "(deleted)" : snippet(row.root.text, 60) }),
          h("span", { class: "last", text: summaryText(row.root) }),
          row.unread_count ? h("span", { class: "badge", text: `${row.unread_count} new` }) : null,
        ),
      );
    }),
  );
}

export function setupThreads() {
  $("#thread-form").addEventListener("submit", sendReply);
  $("#thread-text").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      $("#thread-form").requestSubmit();
    }
  });
  $("#thread-close").addEventListener("click", closeThread);
  $("#thread-panel").addEventListener("keydown", (event) => {
    if (event.key === "Escape") closeThread();
  });
  $("#thread-follow").addEventListener("click", toggleFollow);
  $("#threads-button").addEventListener("click", () => {
    renderFollowed();
    $("#threads-dialog").showModal();
    loadFollowed();
  });
  document.addEventListener("visibilitychange", markThreadRead);
}
