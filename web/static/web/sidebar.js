// The conversation list: newest activity first, unread badges, last message, presence dots.
//
// A redraw keeps the row of every conversation whose drawing is unchanged, and moves rows rather
// than rebuilding the list: with a thousand conversations, a message that lifts one of them to the
// top costs one new row and one move, not a thousand rows.

import { avatar } from "./avatar.js";
import { $, arrowKeys, h } from "./dom.js";
import { snippet } from "./render.js";
import { activity, conversationName, store, subscribe, userName } from "./state.js";

let onOpen = () => {};
const rows = new Map(); // conversation id -> {key, li}

export function setupSidebar(open) {
  onOpen = open;
  subscribe(heard);
  arrowKeys($("#conversations"), "button.conversation");
}

function presenceStatus(userId) {
  // Offline, what was known of others is stale: show nobody as around rather than a green dot.
  const known = store.connection && store.connection.online;
  return known ? store.presence.get(userId) || "offline" : "unknown";
}

function lastLine(entry) {
  const m = entry.last_message;
  if (!m) return entry.conversation.topic || "No messages yet";
  const who = entry.conversation.kind === "direct" && m.sender_id !== store.me.id ? "" : `${userName(m.sender_id)}: `;
  if (m.deleted || !m.text) return `${who}message deleted`;
  return who + snippet(m.text, 60);
}

// Everything a row's drawing depends on, each compared by identity: the entry's objects (replaced,
// never changed in place, when they change), whether it is open, its unread count, the peer's
// presence, and the profiles its texts come from (the last message's sender, the peer; `remember`
// keeps an unchanged profile's object). No text is computed here: a redraw compares a thousand keys,
// and opening a conversation, which learns its members' profiles, must not redraw rows naming none.
function rowKey(entry) {
  const open = entry.id === store.openId;
  const peer = entry.peer ? entry.peer.id : null;
  const last = entry.last_message;
  return [
    entry.conversation,
    last,
    entry.peer,
    open,
    open ? 0 : entry.unread,
    peer === null ? null : presenceStatus(peer),
    last ? store.users.get(last.sender_id) : null,
    peer === null ? null : store.users.get(peer),
    store.me,
  ];
}

function row(entry, key) {
  const [, , , open, unread, status] = key;
  return h(
    "li",
    {},
    h(
      "button",
      {
        type: "button",
        class: `conversation${open ? " active" : ""}${unread ? " unread" : ""}`,
        "aria-current": open ? "true" : null,
        dataset: { conversation: entry.id },
        onclick: () => onOpen(entry.id),
      },
      entry.peer
        ? [
            avatar(entry.peer.id, { variant: "inline" }),
            h("span", { class: `dot ${status}`, role: "img", "aria-label": status, title: status }),
          ]
        : h("span", { class: "kind", "aria-hidden": "true", text: entry.conversation.kind === "channel" ? "#" : "⁂" }),
      h("span", { class: "name", text: conversationName(entry) }),
      unread ? h("span", { class: "badge", "aria-label": `${unread} unread`, text: unread > 99 ? "99+" : String(unread) }) : null,
      h("span", { class: "last", text: lastLine(entry) }),
    ),
  );
}

// Where rowKey puts the peer's presence. A change of it alone updates the row's dot in place:
// presence comes and goes all the time (a whole room signs in after a deploy), and a row replaced
// between a press and its release loses the click that was meant to open it.
const STATUS = 5;

function drawnRow(entry) {
  const key = rowKey(entry);
  const kept = rows.get(entry.id);
  if (kept && kept.key.every((part, i) => part === key[i] || i === STATUS)) {
    if (kept.key[STATUS] !== key[STATUS]) showStatus(kept.li, key[STATUS]);
    kept.key = key;
    return kept.li;
  }
  const li = row(entry, key);
  rows.set(entry.id, { key, li });
  return li;
}

function showStatus(li, status) {
  const dot = li.querySelector(".dot");
  if (!dot) return;
  dot.className = `dot ${status}`;
  dot.setAttribute("aria-label", status);
  dot.title = status;
}

// The list's children become `nodes` in order, moving only what is out of place. A row that was
// redrawn leaves its old node where it was: dropped on the way, it must not push every later row
// into a move (a thousand moves, and a layout of the whole list, for one changed row).
function arrange(list, nodes) {
  const wanted = new Set(nodes);
  let at = list.firstElementChild;
  const skipStale = () => {
    while (at && !wanted.has(at)) {
      const next = at.nextElementSibling;
      at.remove();
      at = next;
    }
  };
  for (const node of nodes) {
    skipStale();
    if (node === at) at = at.nextElementSibling;
    else list.insertBefore(node, at);
  }
  while (at) {
    const next = at.nextElementSibling;
    at.remove();
    at = next;
  }
}

// Newest first. Activity times are ISO 8601 strings in UTC, so plain string order is time order
// (and much cheaper than localeCompare over a thousand rows).
function byActivity(a, b) {
  const x = activity(a);
  const y = activity(b);
  return x < y ? 1 : x > y ? -1 : 0;
}

// The drawn order, newest activity first: conversation ids, one per row of the list.
let order = [];
// The profiles' version when every row was last compared: rows name people, and a profile learned
// since then may change any of them.
let drawnUsers = -1;
// What to redraw at the next frame: null (nothing), "all", or a Set of conversation ids.
let pending = null;
let framed = false;

// Changes come in bursts (a reload of the list, a page of replayed events, presence for many
// people): each one is noted, and the list is drawn once, before the next paint. A hidden tab gets
// no frames, and its title must still count unread messages: there the list is drawn at once.
function heard(what) {
  if (what.users) {
    if (store.usersVersion === drawnUsers) return; // profiles loaded again, none new
    pending = "all";
  } else if (what.conversations && pending !== "all") {
    pending = pending || new Set();
    for (const id of what.conversations) if (id) pending.add(id);
  } else {
    pending = "all";
  }
  if (document.visibilityState !== "visible") {
    renderConversations();
  } else if (!framed) {
    framed = true;
    requestAnimationFrame(() => {
      framed = false;
      renderConversations();
    });
  }
}

document.addEventListener("visibilitychange", () => {
  if (pending !== null && document.visibilityState !== "visible") renderConversations();
});

// Draws what is pending now, without waiting for a frame (a first row must exist to take the focus).
export function renderConversations() {
  const what = pending;
  pending = null;
  if (what === null) return;
  const focusedId = document.activeElement?.dataset?.conversation;
  if (what === "all" || store.usersVersion !== drawnUsers || !redrawRows(what)) drawAll();
  if (focusedId && document.activeElement?.dataset?.conversation !== focusedId) {
    // A row moved or redrawn under the focus: give the focus back to its new button.
    const again = document.querySelector(`[data-conversation="${CSS.escape(focusedId)}"]`);
    if (again) again.focus();
  }
  $("#conversations-empty").hidden = store.conversations.size > 0;
  let total = 0;
  for (const entry of store.conversations.values()) if (entry.id !== store.openId) total += entry.unread;
  document.title = total ? `(${total}) chatsite` : "chatsite";
}

function drawAll() {
  const entries = [...store.conversations.values()].sort(byActivity);
  for (const id of rows.keys()) if (!store.conversations.has(id)) rows.delete(id);
  arrange($("#conversations"), entries.map(drawnRow));
  order = entries.map((entry) => entry.id);
  drawnUsers = store.usersVersion;
}

// Only the named conversations changed: redraw their rows, and put each back where its activity
// sorts among the others, whose order stands (a binary search, and at most one move). False when a
// conversation came or went, named or not: then the whole list is drawn.
function redrawRows(ids) {
  if (store.conversations.size !== order.length) return false;
  for (const id of ids) if (!store.conversations.has(id) || !rows.has(id)) return false;
  const list = $("#conversations");
  order = order.filter((id) => !ids.has(id));
  for (const id of ids) {
    const entry = store.conversations.get(id);
    const before = rows.get(id).li;
    const li = drawnRow(entry);
    if (li !== before) before.replaceWith(li);
    const to = insertionPoint(entry);
    order.splice(to, 0, id);
    const next = to + 1 < order.length ? rows.get(order[to + 1]).li : null;
    if (li.nextElementSibling !== next) list.insertBefore(li, next);
  }
  return true;
}

// Where `entry` goes in `order`: after every conversation as new as it or newer.
function insertionPoint(entry) {
  let low = 0;
  let high = order.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (byActivity(store.conversations.get(order[middle]), entry) <= 0) low = middle + 1;
    else high = middle;
  }
  return low;
}
