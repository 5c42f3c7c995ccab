// Threads: the side panel with one thread (its root, its replies, its own composer), and the list of
// threads I follow with their unread replies. Replies are ordinary messages of the conversation with
// `thread_root` set: the main log leaves them out, and shows on each root its reply count instead.
// The panel loads the newest replies and older ones as its top comes into view, like the main log;
// a reply goes through the outbox, like any message, so one written offline is sent on reconnect.

import { api, get, post, query } from "./api.js";
import { avatar } from "./avatar.js";
import { $, h } from "./dom.js";
import { renderText, snippet } from "./render.js";
import { conversationName, ensureUsers, store, userName } from "./state.js";

const PAGE = 50;
const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });

export const thread = {
  root: null, // the open thread's root message, or null when the panel is closed
  replies: [], // ascending seq
  hasOlder: false, // replies older than the first loaded one exist
  loading: false, // a page of older replies is on its way
  failure: null, // {message, retry}: a load or a write of the panel that failed
  following: false,
  lastRead: 0,
  followed: [], // GET /threads rows: {root, last_read_seq, unread_count}
};
// set by app.js: rootChanged(conversation id, root id, summary), openFromList(root), flush() (the
// outbox), pendingItem(outbox item) (the main log's drawing of a message not yet sent)
let hooks = {};
let returnFocus = null;
let opened = 0; // counts the panel's openings and closings: a load for an earlier one is dropped

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
  const mine = ++opened;
  Object.assign(thread, { root, replies: [], hasOlder: false, loading: true, failure: null, following: false, lastRead: 0 });
  const panel = $("#thread-panel");
  panel.hidden = false;
  document.body.classList.add("thread-open");
  render("bottom");
  $("#thread-text").focus();
  let answer;
  try {
    answer = await get(`conversations/${root.conversation_id}/threads/${root.id}?${query({ limit: PAGE })}`);
  } catch (error) {
    if (mine === opened) failed(error, () => openThread(root));
    return;
  }
  if (mine !== opened) return; // closed, or another thread opened meanwhile
  await ensureUsers([answer.root.sender_id, ...answer.replies.map((m) => m.sender_id)]);
  if (mine !== opened) return;
  // Replies that came live while the page was on its way, and are newer than it, stay.
  const newest = answer.replies.length ? answer.replies[answer.replies.length - 1].seq : 0;
  const known = new Set(answer.replies.map((m) => m.id));
  const live = thread.replies.filter((m) => m.seq > newest && !known.has(m.id));
  Object.assign(thread, {
    root: answer.root,
    replies: [...answer.replies, ...live],
    hasOlder: answer.replies.length >= PAGE,
    loading: false,
    following: answer.following,
    lastRead: answer.last_read_seq,
  });
  render("bottom");
  markThreadRead();
  observeTop();
  // The observer speaks only when the trigger enters the view: one already in view needs a call.
  if (triggerInView()) loadOlderReplies();
}

// --- older replies, loaded as the top of the panel comes into view ---

let observer = null;
function observeTop() {
  if (observer) return;
  observer = new IntersectionObserver((entries) => entries.some((e) => e.isIntersecting) && loadOlderReplies(), {
    root: $("#thread-log"),
    rootMargin: "200px 0px",
  });
  observer.observe($("#thread-status"));
  // As in the main log: a reader back at the top in the frame a page was drawn leaves the trigger in
  // view as far as the observer knows, so a scroll near the top loads as well.
  $("#thread-log").addEventListener("scroll", () => thread.hasOlder && !thread.loading && triggerInView() && loadOlderReplies(), {
    passive: true,
  });
}

// The same margin as the observer's: the trigger is near enough to the view to load more.
function triggerInView() {
  const log = $("#thread-log").getBoundingClientRect();
  const trigger = $("#thread-status").getBoundingClientRect();
  return thread.hasOlder && trigger.bottom > log.top - 200 && trigger.top < log.bottom + 200;
}

async function loadOlderReplies() {
  const root = thread.root;
  const mine = opened;
  if (!root || !thread.hasOlder || thread.loading || !thread.replies.length) return;
  thread.loading = true;
  thread.failure = null; // this try replaces the one that failed, if any
  renderStatus();
  const before = thread.replies[0].seq;
  try {
    const path = `conversations/${root.conversation_id}/threads/${root.id}?${query({ limit: PAGE, before })}`;
    const answer = await get(path);
    if (mine !== opened) return; // closed, or another thread opened meanwhile
    await ensureUsers(answer.replies.map((m) => m.sender_id));
    if (mine !== opened) return;
    const known = new Set(thread.replies.map((m) => m.id));
    thread.replies = [...answer.replies.filter((m) => !known.has(m.id)), ...thread.replies];
    thread.hasOlder = answer.replies.length >= PAGE;
    thread.loading = false;
    render("older");
  } catch (error) {
    if (mine === opened) failed(error, loadOlderReplies);
    return;
  } finally {
    if (mine === opened) thread.loading = false;
  }
  // A short page may leave the trigger in view, where the observer says nothing more: go on.
  if (triggerInView()) loadOlderReplies();
}

export function closeThread() {
  opened += 1;
  thread.root = null;
  $("#thread-panel").hidden = true;
  document.body.classList.remove("thread-open");
  if (returnFocus && returnFocus.isConnected) returnFocus.focus();
}

// Kept in the state, not only drawn: a redraw (a reply arriving, the connection coming back) keeps
// the error and its Retry on screen until the retry.
function failed(error, retry) {
  thread.failure = {
    message: error.message,
    retry: () => {
      thread.failure = null;
      renderStatus();
      retry();
    },
  };
  renderStatus();
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

// Into the outbox, as a message of the main log's composer: it shows as pending in the panel and is
// sent when the socket is up, now or after a reconnect, once (its client_id makes a retry harmless).
function sendReply(event) {
  event.preventDefault();
  const box = $("#thread-text");
  const text = box.value;
  if (!text.trim() || !thread.root) return;
  $("#thread-error").textContent = "";
  store.outbox.add(thread.root.conversation_id, text, null, thread.root.id);
  box.value = "";
  render("bottom");
  hooks.flush();
}

// The outbox sent a reply (`message`, the server's answer), or one of its replies changed state.
export function replyOutboxChanged(item, message) {
  if (!message) {
    if (thread.root && thread.root.id === item.thread_root) render();
    return;
  }
  if (thread.root && thread.root.id === message.thread_root) thread.following = true; // as the server did
  applyReply(message, null);
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

// Between the root and the replies: what failed, what is loading, or that the thread starts here.
function renderStatus() {
  const status = $("#thread-status");
  if (thread.failure) {
    status.replaceChildren(
      h("span", { class: "form-error", text: `${thread.failure.message} ` }),
      h("button", { type: "button", text: "Retry", onclick: thread.failure.retry }),
    );
  } else if (thread.loading) status.textContent = thread.replies.length ? "Loading earlier replies…" : "Loading…";
  else if (thread.hasOlder) status.textContent = "";
  else status.textContent = thread.replies.length ? "This is the start of the thread." : "No replies yet.";
}

// `mode`: "bottom" shows the newest reply; "older" keeps in place what was on screen while older
// replies went in above it; "keep" (the default) follows new replies only when already at the bottom.
export function render(mode = "keep") {
  const root = thread.root;
  if (!root) return;
  const log = $("#thread-log");
  const fromBottom = log.scrollHeight - log.scrollTop;
  const nearBottom = fromBottom - log.clientHeight < 80;
  const entry = store.conversations.get(root.conversation_id);
  $("#thread-where").textContent = entry ? conversationName(entry) : "";
  const rootItem = replyItem(root);
  rootItem.append(h("p", { class: "thread-count", text: summaryText(root) }));
  $("#thread-root").replaceChildren(rootItem);
  // My replies the server has not confirmed yet follow the confirmed ones, as in the main log.
  const shown = new Set(thread.replies.filter((m) => m.sender_id === store.me.id).map((m) => m.client_id));
  const pending = store.outbox.forThread(root.id).filter((item) => !shown.has(item.client_id));
  $("#thread-replies").replaceChildren(...thread.replies.map(replyItem), ...pending.map((item) => hooks.pendingItem(item)));
  renderStatus();
  const follow = $("#thread-follow");
  follow.textContent = thread.following ? "Unfollow" : "Follow";
  follow.setAttribute("aria-pressed", String(thread.following));
  if (mode === "bottom" || (mode === "keep" && nearBottom)) log.scrollTop = log.scrollHeight;
  else if (mode === "older") log.scrollTop = log.scrollHeight - fromBottom;
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
