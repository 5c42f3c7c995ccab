// The message pane: a window of one conversation's messages, loaded a page at a time upward (and
// downward after a jump to an old message), with day separators, replies, reactions and actions.

import { api, get, logPage } from "./api.js";
import { messageExtras } from "./attachments.js";
import { avatar } from "./avatar.js";
import { $, h } from "./dom.js";
import { openPicker } from "./emoji.js";
import { fullTime, permalink, renderText, snippet } from "./render.js";
import { canModerate, conversationName, ensureUsers, loadMembers, store, userName } from "./state.js";
import { isReply, summaryText } from "./thread.js";
import { loadNotices, noticeItem, noticesBetween } from "./notices.js";

const PAGE = 50;
const EMOJI = ["👍", "❤️", "😂", "🎉", "😮", "😢"];

export const view = {
  id: null,
  messages: [], // ascending seq
  hasOlder: false,
  hasNewer: false, // after a jump: the newest messages are not loaded yet
  loading: false,
  settled: false, // the open's first page is laid out and scrolled: the edges may load more
  palette: null, // message id whose reaction palette is open
  confirmDelete: null,
  active: null, // element id of the message whose controls are in the tab order
  highlight: null, // id of the message a link or a search result pointed at
  readMark: 0, // what was read when the conversation was opened: the "New messages" line goes after it
  notice: "", // said under the title while nothing is open (a link to a conversation one is not in)
};
const parents = new Map(); // message id -> message, or null when it can't be shown
let hooks = {}; // set by app.js: reply, edit, report, profile, openConversation, changed, thread

export function setPaneHooks(h) {
  hooks = h;
}

const box = () => $("#messages");
// The log says it is busy (aria-busy) from an open until its first page is laid out and scrolled,
// and while a page loads at an edge: a screen reader then reads a page once it is whole, not each
// message as it is drawn, and a reader's scroll made once the log is idle is never undone by it.
const busy = (on) => box().setAttribute("aria-busy", String(on));
export const phone = window.matchMedia("(max-width: 640px)");
const clockFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit" });
const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
const dayFormat = new Intl.DateTimeFormat(undefined, { weekday: "long", day: "numeric", month: "long", year: "numeric" });

function dayLabel(date) {
  const today = new Date();
  const yesterday = new Date(today);
  yesterday.setDate(today.getDate() - 1);
  if (date.toDateString() === today.toDateString()) return "Today";
  if (date.toDateString() === yesterday.toDateString()) return "Yesterday";
  return dayFormat.format(date);
}

export async function openConversation(id, { aroundSeq = null } = {}) {
  const entry = store.conversations.get(id);
  if (!entry) return;
  Object.assign(view, {
    id,
    messages: [],
    hasOlder: false,
    hasNewer: false,
    palette: null,
    loading: true,
    settled: false,
    active: null,
    highlight: null,
  });
  view.readMark = entry.last_read_seq;
  $("#new-below").hidden = true;
  store.openId = id;
  document.body.classList.add("pane-open");
  busy(true);
  renderHeader();
  renderMessages("bottom");
  // The members ("Seen by", @mentions) are asked for beside the page rather than once it came.
  const members = loadMembers(id).catch(() => []);
  let page;
  try {
    page = aroundSeq === null ? await pageBefore(id) : await logPage(id, { limit: PAGE, around: aroundSeq });
    if (view.id !== id) return;
    // The join and leave lines of the seqs this page covers (to the newest event, when it is the end).
    const first = page.results.length ? page.results[0].seq : 1;
    const last = page.results.length ? page.results[page.results.length - 1].seq : 0;
    const olderLeft = page.results.length > 0 && (page.older ?? first > 1);
    await loadNotices(id, olderLeft ? first - 1 : 0, aroundSeq === null ? Math.max(last, entry.seq) : last);
  } catch (error) {
    if (view.id !== id) return; // left meanwhile (or signed out): nothing to say here
    view.loading = false;
    busy(false);
    return loadFailed($("#history-status"), error, () => openConversation(id, { aroundSeq }));
  }
  if (view.id !== id) return;
  // Messages that came live while the page was on its way, and are newer than it, stay.
  const newest = page.results.length ? page.results[page.results.length - 1].seq : 0;
  const known = new Set(page.results.map((m) => m.id));
  const live = aroundSeq === null ? view.messages.filter((m) => m.seq > newest && !known.has(m.id)) : [];
  view.messages = [...page.results, ...live];
  view.hasOlder = page.results.length > 0 && (page.older ?? page.results[0].seq > 1);
  view.hasNewer = aroundSeq !== null && page.results.length >= PAGE / 2;
  view.loading = false;
  await Promise.all([ensureUsers(page.results.map((m) => m.sender_id)), members]);
  if (view.id !== id) return;
  renderMessages(aroundSeq === null ? "bottom" : "none");
  hooks.changed();
  observeEdges();
  afterLayout(() => {
    if (view.id !== id) return;
    view.settled = true;
    busy(false);
    if (aroundSeq !== null) focusMessage(page.results.find((m) => m.seq === aroundSeq));
    else {
      // Open at the first unread message rather than the newest one.
      const line = document.getElementById("unread-line");
      if (line) line.scrollIntoView({ block: "start" });
    }
    // The observer speaks only when its trigger enters the view: one that stayed in view through
    // the switch would never load this conversation's older (or newer) messages.
    loadNearEdges();
  });
}

// Work that reads sizes (scrolling to the bottom, to a message) waits for the browser's own layout
// of the next frame: a ResizeObserver reports after layout and before paint, so nothing is seen
// unscrolled, and no script forces a layout of the whole page (a thousand sidebar rows) at once.
// The root element always has a size while the page is shown; observing it anew reports once.
const pendingLayout = [];
const layoutWatch = new ResizeObserver(() => {
  layoutWatch.disconnect();
  for (const work of pendingLayout.splice(0)) work();
});

function afterLayout(work) {
  pendingLayout.push(work);
  if (pendingLayout.length === 1) layoutWatch.observe(document.documentElement);
}

// A load that failed says why, with a way to try again, instead of leaving the pane empty.
function loadFailed(slot, error, retry) {
  slot.replaceChildren(
    h("span", { class: "form-error", text: `${error.message} ` }),
    h("button", { type: "button", text: "Retry", onclick: retry }),
  );
}

export function closeConversation() {
  document.body.classList.remove("pane-open");
}

function focusMessage(message) {
  if (!message) return;
  const el = document.getElementById(`m-${message.id}`);
  if (!el) return;
  view.highlight = message.id; // kept in the view: a redraw must not lose it
  el.classList.add("highlight");
  el.scrollIntoView({ block: "center" });
  el.focus();
}

// Under the title: a channel's topic, or for a direct message the other person's presence and status.
function subtitle(entry) {
  if (entry.conversation.kind !== "direct" || !entry.peer) return entry.conversation.topic || "";
  const peer = store.users.get(entry.peer.id) || entry.peer;
  const presence = store.connection && store.connection.online ? store.presence.get(peer.id) || "offline" : "";
  const label = { online: "Online", away: "Away", offline: "Offline" }[presence] || "";
  return [label, peer.status_text].filter(Boolean).join(" · ");
}

export function renderHeader() {
  const entry = store.conversations.get(view.id);
  $("#pane-title").textContent = entry ? conversationName(entry) : "Pick a conversation";
  $("#pane-avatar").replaceChildren(entry && entry.peer ? avatar(entry.peer.id, { variant: "inline" }) : "");
  // Kept in the view, not only written once: any later redraw (the socket connecting) keeps it.
  $("#pane-topic").textContent = entry ? subtitle(entry) : view.notice;
  $("#pins-button").hidden = !entry;
  $("#details-button").hidden = !entry;
  const composer = $("#composer");
  composer.hidden = !entry;
  const archived = entry && entry.conversation.archived;
  $("#composer-text").disabled = Boolean(archived);
  // A phone's keyboard has no Shift+Enter to speak of: it has the Send button.
  $("#composer-text").placeholder = archived
    ? "This conversation is archived."
    : phone.matches
      ? "Write a message"
      : "Write a message (Enter sends, Shift+Enter: new line)";
}

// --- loading more ---

const EDGE_MARGIN = 200; // px from the log's view at which an edge loads the next page
let observer = null;
function observeEdges() {
  if (observer) return;
  observer = new IntersectionObserver(
    // An entry tells where its trigger was when it was measured, and the log may have moved since:
    // a conversation's first page is scrolled to its end after layout, and on a busy machine an
    // entry measured before that can arrive after it. So nothing loads before the open settles,
    // and then only if the trigger is still near the view.
    (entries) => {
      if (!view.settled) return;
      for (const entry of entries) {
        if (!nearView(entry.target)) continue;
        if (entry.target.id === "history-status") loadOlder();
        else loadNewer();
      }
    },
    { root: box(), rootMargin: `${EDGE_MARGIN}px 0px` },
  );
  observer.observe($("#history-status"));
  observer.observe($("#newer-status"));
  // The observer speaks only when a trigger's state changes between two frames. A reader back at an
  // edge in the frame the last page was drawn (the log grew, and was scrolled back before the next
  // frame) leaves the trigger in view as far as it knows, and nothing would load: a scroll near an
  // edge loads as well.
  box().addEventListener(
    "scroll",
    () => {
      if (view.settled && !view.loading) loadNearEdges();
    },
    { passive: true },
  );
}

// The observer's test, made now: whether an edge's trigger is within the margin of the log's view.
function nearView(trigger) {
  const frame = box().getBoundingClientRect();
  const at = trigger.getBoundingClientRect();
  return at.bottom >= frame.top - EDGE_MARGIN && at.top <= frame.bottom + EDGE_MARGIN;
}

// The same margin as the observer's: the top of the log is near enough to load more.
function triggerInView() {
  return view.hasOlder && box().scrollTop < EDGE_MARGIN;
}

function newerInView() {
  return view.hasNewer && nearView($("#newer-status"));
}

// The next page at whichever edge is near the view, if any: older first, as the reader scrolls up.
function loadNearEdges() {
  if (triggerInView()) loadOlder();
  else if (newerInView()) loadNewer();
}

// The PAGE messages before `before` (the newest when it is null), and whether older ones remain.
// One more is asked for than is shown: whether it came answers that, where a guess from the seqs
// could not (a conversation's first seqs are the events of its creation, so a short log's first
// message is never seq 1), and each open of a short conversation asked for an empty older page.
async function pageBefore(id, before = null) {
  const page = await logPage(id, { limit: PAGE + 1, before });
  const older = page.results.length > PAGE;
  return { results: older ? page.results.slice(1) : page.results, older };
}

async function loadOlder() {
  if (!view.hasOlder || view.loading || !view.messages.length) return;
  const id = view.id;
  view.loading = true;
  busy(true);
  $("#history-status").textContent = "Loading earlier messages…";
  try {
    const before = view.messages[0].seq;
    const page = await pageBefore(id, before);
    if (view.id !== id) return;
    const first = page.results.length ? page.results[0].seq : 1;
    await loadNotices(id, page.older ? first - 1 : 0, before - 1);
    await ensureUsers(page.results.map((m) => m.sender_id));
    view.messages = [...page.results, ...view.messages];
    view.hasOlder = page.older;
    view.loading = false;
    renderMessages("older");
  } catch (error) {
    if (view.id === id) loadFailed($("#history-status"), error, loadOlder);
    return;
  } finally {
    if (view.id === id) {
      view.loading = false;
      busy(false);
    }
  }
  // A short page may leave the top trigger in view, where the observer says nothing more: go on.
  if (triggerInView()) loadOlder();
}

async function loadNewer() {
  if (!view.hasNewer || view.loading || !view.messages.length) return;
  const id = view.id;
  view.loading = true;
  busy(true);
  try {
    const after = view.messages[view.messages.length - 1].seq;
    const page = await logPage(id, { limit: PAGE, after });
    if (view.id !== id) return;
    await ensureUsers(page.results.map((m) => m.sender_id));
    const known = new Set(view.messages.map((m) => m.id));
    view.messages = [...view.messages, ...page.results.filter((m) => !known.has(m.id))];
    view.hasNewer = page.results.length === PAGE;
    view.loading = false;
    renderMessages("none");
    hooks.changed();
  } catch (error) {
    if (view.id === id) loadFailed($("#newer-status"), error, loadNewer);
  } finally {
    if (view.id === id) {
      view.loading = false;
      busy(false);
    }
  }
}

// --- live changes ---

// A message's new state from an event (or an ack): replace it, or add it when it is new and the
// window shows the newest messages.
export function applyMessage(message, created) {
  if (message.conversation_id !== view.id) return;
  parents.delete(message.id);
  const at = view.messages.findIndex((m) => m.id === message.id);
  if (at >= 0) view.messages[at] = message;
  else if (created && !view.hasNewer) {
    let i = view.messages.length;
    while (i > 0 && view.messages[i - 1].seq > message.seq) i -= 1;
    view.messages.splice(i, 0, message);
  } else return;
  ensureUsers([message.sender_id]).then((changed) => changed && renderMessages());
  renderMessages();
}

// A root's thread summary moved (a reply came or went): its "N replies" line follows.
export function updateRoot(conversationId, rootId, summary) {
  if (conversationId !== view.id) return;
  const at = view.messages.findIndex((m) => m.id === rootId);
  if (at < 0) return;
  // A new object, as for any change of a message: a drawn node is reused only for the same one.
  view.messages[at] = { ...view.messages[at], reply_count: summary.reply_count, last_reply_at: summary.last_reply_at };
  renderMessages();
}

export function latestSeq() {
  return view.messages.length && !view.hasNewer ? view.messages[view.messages.length - 1].seq : 0;
}

// --- drawing ---

// Every change redraws the list from view.messages, so day separators, runs and order are trivially
// right; but a message whose drawing would come out the same keeps its node (see drawnItem), and
// only the list's changed tail is touched in the page. Scroll position and focus are carried over.
export function atBottom() {
  const el = box();
  return el.scrollHeight - el.scrollTop - el.clientHeight < 60;
}

// "New messages below": something arrived while the reader was looking further up. It stays unread
// until they get to it.
export function showNewBelow() {
  $("#new-below").hidden = false;
}

export function setupNewBelow(reachedBottom) {
  const pill = $("#new-below");
  pill.addEventListener("click", () => {
    box().scrollTop = box().scrollHeight;
    pill.hidden = true;
    reachedBottom();
    box().focus();
  });
  box().addEventListener("scroll", () => {
    if (!atBottom()) return;
    pill.hidden = true;
    reachedBottom();
  });
}

// The log is one tab stop: ↑ and ↓ move between messages, and only the message that has the focus
// puts its buttons and links in the tab order (50 messages were 254 tab stops).
export function setupMessageKeys() {
  const log = box();
  log.addEventListener("keydown", (event) => {
    if (event.key !== "ArrowUp" && event.key !== "ArrowDown") return;
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    const current = event.target.closest("li.message");
    if (event.target !== log && event.target !== current) return; // a button keeps its arrows
    const items = [...log.querySelectorAll("li.message")];
    if (!items.length) return;
    const at = current ? items.indexOf(current) : items.length;
    const next = items[Math.max(0, Math.min(items.length - 1, at + (event.key === "ArrowUp" ? -1 : 1)))];
    event.preventDefault();
    next.focus();
    next.scrollIntoView({ block: "nearest" });
  });
  log.addEventListener("focusin", (event) => {
    const li = event.target.closest("li.message");
    if (li && li.id !== view.active) activate(li);
  });
}

// One click listener for the whole log rather than one per control of every message (about ten
// a message, made again at each open): a control names its action in data-act, and its message is
// the one its item shows.
const MESSAGE_ACTIONS = {
  sender: (m) => hooks.profile(m.sender_id),
  history: (m) => hooks.history(m),
  "open-thread": (m) => hooks.thread(m),
  react: (m) => {
    view.palette = view.palette === m.id ? null : m.id;
    renderMessages();
    const first = document.querySelector(`#m-${m.id} .palette button`);
    if (first) first.focus();
  },
  reply: (m) => hooks.reply(m),
  thread: (m) => hooks.thread(m),
  edit: (m) => hooks.edit(m),
  delete: (m) => remove(m),
  pin: (m) => pin(m),
  report: (m) => hooks.report(m),
  "more-emoji": (m, control) => openPicker(control, (emoji) => pickReaction(m, emoji), "React with an emoji"),
};

export function setupMessageActions() {
  // A pointer (a mouse's hover, a finger's tap) over a message builds its toolbar before the
  // :hover rule shows it; the focus does the same in activate().
  $("#message-list").addEventListener("pointerover", (event) => equip(event.target.closest("#message-list li.message[data-id]")));
  $("#message-list").addEventListener("click", (event) => {
    const control = event.target.closest("[data-act], a.permalink");
    const li = control && control.closest("#message-list li.message[data-id]");
    const m = li && view.messages.find((message) => message.id === li.dataset.id);
    if (!m) return; // not a message's control, or one that draws itself (a pending send, a quote)
    if (!control.dataset.act) {
      // A message's time is its permalink: a plain click opens it here, a modified one as the browser would.
      if (event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
      event.preventDefault();
      hooks.openConversation(m.conversation_id, { aroundSeq: m.seq });
      return;
    }
    const act = control.dataset.act;
    if (act.startsWith("reaction-")) toggleReaction(m, act.slice("reaction-".length));
    else if (act.startsWith("add-")) pickReaction(m, act.slice("add-".length));
    else if (MESSAGE_ACTIONS[act]) MESSAGE_ACTIONS[act](m, control);
  });
}

// A reaction is added, or taken back if it was already mine.
function toggleReaction(m, emoji) {
  react(m, emoji, !((m.reactions || {})[emoji] || []).includes(store.me.id));
}

// An emoji picked from a message's palette or the full picker, which then closes.
function pickReaction(m, emoji) {
  view.palette = null;
  toggleReaction(m, emoji);
}

function activate(li) {
  const old = view.active && document.getElementById(view.active);
  if (old) for (const el of old.querySelectorAll("button, a")) el.tabIndex = -1;
  view.active = li.id;
  equip(li); // the keyboard reaches the actions of the message it is on
  for (const el of li.querySelectorAll("button, a")) el.removeAttribute("tabindex");
}

export function renderMessages(mode = "keep") {
  const list = $("#message-list");
  const el = box();
  // Read only what the mode needs: each read forces a layout of the page as it is before the redraw.
  const nearBottom = mode === "keep" && el.scrollHeight - el.scrollTop - el.clientHeight < 60;
  const fromBottom = mode === "older" ? el.scrollHeight - el.scrollTop : 0;
  const had = document.activeElement;
  const focused = had && had.closest && had.closest("#message-list li");
  const focusKey = focused ? [focused.id, focusSelector(had, focused)] : null;

  index = null;
  if (drawnFor !== view.id) {
    drawn.clear();
    days.clear();
    drawnFor = view.id;
  }
  const items = [];
  let day = null;
  const shown = new Set();
  let lined = false;
  let previous = null;
  for (const message of withNotices()) {
    const date = dayOf(message);
    if (date !== day) {
      day = date;
      previous = null;
      items.push(dayItem(date));
    }
    if (message.notice) {
      previous = null;
      items.push(drawnNotice(message.notice));
      continue;
    }
    if (!lined && message.seq > view.readMark && message.sender_id !== store.me.id && !message.deleted) {
      lined = true;
      previous = null;
      items.push(unreadLine);
    }
    if (message.sender_id === store.me.id) shown.add(message.client_id);
    items.push(drawnItem(message, continues(previous, message)));
    previous = message;
  }
  if (!view.hasNewer && store.outbox) {
    for (const item of store.outbox.forConversation(view.id)) {
      if (!shown.has(item.client_id)) items.push(pendingItem(item));
    }
  }
  placeSeen(items);
  replaceTail(list, items);

  $("#history-status").textContent = view.loading
    ? "Loading…"
    : view.id && !view.hasOlder && view.messages.length
      ? "This is the start of the conversation."
      : view.id && !view.messages.length
        ? "No messages yet. Say hello!"
        : "";
  $("#newer-status").textContent = view.hasNewer ? "Loading newer messages…" : "";

  if (mode === "bottom") afterLayout(() => (el.scrollTop = el.scrollHeight));
  else if (mode === "keep" && nearBottom) el.scrollTop = el.scrollHeight;
  else if (mode === "older") el.scrollTop = el.scrollHeight - fromBottom;
  // Give the focus back only if the redraw took it: a focus that survived stays where the reader put it.
  if (focusKey && document.activeElement !== had) {
    const li = document.getElementById(focusKey[0]);
    const target = li && (focusKey[1] ? li.querySelector(focusKey[1]) : li);
    if (target) target.focus();
  }
}

// How to find the focused control again in its message's new node: its action, or its class.
function focusSelector(el, li) {
  if (el === li) return "";
  if (el.dataset.act) return `[data-act="${CSS.escape(el.dataset.act)}"]`;
  return el.classList.length ? `.${CSS.escape(el.classList[0])}` : "";
}

// --- the drawn nodes, kept while what they show is unchanged ---

const drawn = new Map(); // message id -> {key, node}
const days = new Map(); // day label -> its separator
const times = new WeakMap(); // message -> {ms, day}: its time parsed once, not at every redraw
let drawnFor = null; // the conversation the nodes belong to
const unreadLine = h("li", { id: "unread-line", class: "unread-line" }, h("span", { text: "New messages" }));
const seenLine = h("p", { class: "seen" });

// What a message's node depends on besides the message object itself (replaced, never changed
// in place, whenever the message changes): its grouping, the view's marks on it, its reply's
// parent, the caller's role (what it may do to it), and the names of the people it shows.
function drawKey(m, grouped) {
  const entry = store.conversations.get(m.conversation_id);
  const parent = m.parent_id ? windowIndex().get(m.parent_id) || parents.get(m.parent_id) : null;
  return [
    m,
    grouped,
    view.highlight === m.id,
    view.palette === m.id,
    view.confirmDelete === m.id,
    parent,
    entry && entry.role,
    store.usersVersion,
  ];
}

// The window's messages by id, made at most once per drawing (replies look their parents up).
let index = null;
function windowIndex() {
  if (!index) index = new Map(view.messages.map((m) => [m.id, m]));
  return index;
}

function drawnItem(m, grouped) {
  const key = drawKey(m, grouped);
  const kept = drawn.get(m.id);
  if (kept && kept.key.every((part, i) => part === key[i])) return kept.node;
  const node = messageItem(m, grouped);
  // Only the message that has the focus puts its buttons and links in the tab order.
  if (node.id !== view.active) for (const el of node.querySelectorAll("button, a")) el.tabIndex = -1;
  // A redrawn message keeps the toolbar its old node had: the pointer may rest on it, with no new
  // pointerover to come, and the focus may be on one of its buttons (given back below).
  if (node.id === view.active || (kept && kept.node.querySelector(":scope > .message-actions"))) equip(node);
  drawn.set(m.id, { key, node });
  return node;
}

const noticeNodes = new WeakMap(); // a join or leave notice -> {version, node}: its line and the names in it

function drawnNotice(notice) {
  const kept = noticeNodes.get(notice);
  if (kept && kept.version === store.usersVersion) return kept.node;
  const node = noticeItem(notice);
  noticeNodes.set(notice, { version: store.usersVersion, node });
  return node;
}

function timeOf(message) {
  let time = times.get(message);
  if (time === undefined) {
    const date = new Date(message.created_at);
    time = { ms: date.getTime(), day: date.toDateString() };
    times.set(message, time);
  }
  return time;
}

function dayOf(message) {
  return timeOf(message).day;
}

// Keyed by today's date too: "Today" becomes "Yesterday" at midnight.
function dayItem(day) {
  const key = `${day}|${new Date().toDateString()}`;
  if (!days.has(key)) days.set(key, h("li", { class: "day" }, h("span", { text: dayLabel(new Date(day)) })));
  return days.get(key);
}

// "Seen by" hangs under one message at a time: moved, not redrawn with it.
function placeSeen(items) {
  const seen = seenBy();
  const li = seen && items.find((item) => item.id === `m-${seen.message.id}`);
  if (!li) return seenLine.remove();
  seenLine.textContent = seen.text;
  if (seenLine.parentNode !== li) li.append(seenLine);
}

// The page's list becomes `items`, touching only what follows the longest unchanged beginning:
// a message arriving at the end of thousands appends one node.
function replaceTail(list, items) {
  const current = list.children;
  let same = 0;
  while (same < current.length && same < items.length && current[same] === items[same]) same += 1;
  if (same === 0) return list.replaceChildren(...items);
  while (list.children.length > same) list.lastElementChild.remove();
  list.append(...items.slice(same));
}

// The log's entries in seq order: top-level messages (a reply is shown in its thread's panel, and
// its root says how many there are) and the join and leave lines of the seqs the window covers.
function withNotices() {
  const messages = view.messages.filter((m) => !isReply(m));
  if (!view.id) return messages;
  const from = view.hasOlder && view.messages.length ? view.messages[0].seq : 0;
  const to = view.hasNewer && view.messages.length ? view.messages[view.messages.length - 1].seq : Infinity;
  const notices = noticesBetween(view.id, from, to).map((n) => ({ notice: n, seq: n.seq, created_at: n.created_at }));
  if (!notices.length) return messages;
  return [...messages, ...notices].sort((a, b) => a.seq - b.seq);
}

function pendingState(item) {
  if (!store.connection || !store.connection.online) return "Waiting for the connection";
  if (item.resumeAt && item.resumeAt > Date.now()) {
    return `You are sending too fast. Sending resumes at ${clockFormat.format(new Date(item.resumeAt))}`;
  }
  return "Sending…";
}

export function pendingItem(item) {
  const failed = item.status === "failed";
  const held = item.status === "held";
  const discard = () =>
    h("button", { type: "button", "data-act": "discard", text: "Discard", onclick: () => hooks.discard(item.client_id) });
  let actions = null;
  if (failed) {
    actions = h(
      "div",
      { class: "message-actions visible" },
      h("span", { class: "form-error", text: item.error }),
      h("button", { type: "button", "data-act": "retry", text: "Retry", onclick: () => hooks.retry(item.client_id) }),
      discard(),
    );
  } else if (held) {
    actions = h("div", { class: "message-actions visible" }, discard());
  }
  const state = failed ? "Not sent" : held ? "Waiting for a moderator's review: only you can see it" : pendingState(item);
  return h(
    "li",
    {
      class: `message mine pending${failed ? " failed" : ""}${held ? " held" : ""}`,
      id: `p-${item.client_id}`,
      dataset: { clientId: item.client_id },
    },
    h("div", { class: "meta" }, h("span", { class: "sender", text: "You" }), " ", h("span", { class: "state", text: state })),
    h("div", { class: "text" }, renderText(item.text)),
    actions,
  );
}

function parentQuote(message) {
  const id = message.parent_id;
  let parent = view.messages.find((m) => m.id === id) || parents.get(id);
  if (parent === undefined) {
    parents.set(id, undefined);
    get(`conversations/${message.conversation_id}/messages/${id}`)
      .then(async (found) => {
        parents.set(id, found);
        await ensureUsers([found.sender_id]);
      })
      .catch(() => parents.set(id, null))
      .finally(() => view.id === message.conversation_id && renderMessages());
    parent = undefined;
  }
  const label = parent
    ? [h("span", { class: "quote-sender", text: userName(parent.sender_id) }), " ", parent.deleted ? "(deleted)" : snippet(parent.text)]
    : parent === null
      ? ["A message that is no longer available"]
      : ["…"];
  return h(
    "button",
    {
      type: "button",
      class: "quote",
      "data-act": "parent",
      "aria-label": parent ? `Reply to ${userName(parent.sender_id)}: ${snippet(parent.text, 60)}` : "Reply to a message",
      onclick: () => {
        const el = document.getElementById(`m-${id}`);
        if (el) {
          el.scrollIntoView({ block: "center" });
          el.focus();
        } else if (parent) hooks.openConversation(parent.conversation_id, { aroundSeq: parent.seq });
      },
    },
    "↩ ",
    ...label,
  );
}

const SEEN_BY_MAX = 8; // members; beyond that a list of readers is noise

// "Seen by …" under my newest message that someone else has read (direct messages and small groups).
function seenBy() {
  const members = store.members.get(view.id) || [];
  if (!members.length || members.length > SEEN_BY_MAX) return null;
  const others = members.filter((m) => m.user.id !== store.me.id);
  const mine = view.messages.filter((m) => m.sender_id === store.me.id && !m.deleted);
  for (let i = mine.length - 1; i >= 0; i -= 1) {
    const readers = others.filter((m) => m.last_read_seq >= mine[i].seq).map((m) => userName(m.user.id));
    if (!readers.length) continue;
    const entry = store.conversations.get(view.id);
    const direct = entry && entry.conversation.kind === "direct";
    return { message: mine[i], text: direct ? "Seen" : `Seen by ${readers.join(", ")}` };
  }
  return null;
}

const RUN_GAP = 5 * 60 * 1000;

// A message that carries on its sender's run (same person, within minutes, nothing special about
// it) is drawn without avatar and name, as in Slack.
function continues(previous, m) {
  if (!previous || previous.sender_id !== m.sender_id || previous.deleted) return false;
  if (m.parent_id || m.edited_at || m.pinned || m.deleted) return false;
  return timeOf(m).ms - timeOf(previous).ms < RUN_GAP;
}

function messageItem(m, grouped = false) {
  const mine = m.sender_id === store.me.id;
  const created = new Date(m.created_at);
  const clock = timeFormat.format(created); // said twice (label, time), formatted once
  const li = h("li", {
    class: `message${grouped ? " grouped" : ""}${mine ? " mine" : ""}${m.deleted ? " deleted" : ""}${m.pinned ? " pinned" : ""}${view.highlight === m.id ? " highlight" : ""}`,
    id: `m-${m.id}`,
    tabindex: "-1",
    dataset: { id: m.id, seq: m.seq },
    "aria-label": `${userName(m.sender_id)}, ${clock}`,
  });
  li.append(avatar(m.sender_id));
  if (m.parent_id) li.append(parentQuote(m));
  li.append(
    h(
      "div",
      { class: "meta" },
      h("button", { type: "button", class: "sender link", "data-act": "sender", text: userName(m.sender_id) }),
      " ",
      h(
        "a",
        {
          class: "permalink",
          href: permalink(m.conversation_id, m.seq),
          title: `${fullTime(created)} (link to this message)`,
        },
        h("time", { datetime: m.created_at, text: clock }),
      ),
      m.edited_at && !m.deleted
        ? h("button", {
            type: "button",
            class: "edited link",
            "data-act": "history",
            title: `Edited ${fullTime(m.edited_at)}: show earlier versions`,
            text: "(edited)",
          })
        : null,
      m.pinned ? h("span", { class: "pin-mark", text: " 📌 pinned" }) : null,
    ),
    m.deleted ? h("div", { class: "text tombstone", text: "This message was deleted." }) : h("div", { class: "text" }, renderText(m.text)),
  );
  if (m.reply_count > 0) {
    li.append(
      h("button", {
        type: "button",
        class: "thread-summary link",
        "data-act": "open-thread",
        "aria-label": `Open thread: ${summaryText(m)}`,
        text: summaryText(m),
      }),
    );
  }
  if (m.deleted) return li;
  const removePreviews = () =>
    api("DELETE", `conversations/${m.conversation_id}/messages/${m.id}/previews`).then((message) => applyMessage(message, false));
  const extras = messageExtras(m, mine ? removePreviews : null);
  if (extras) li.append(extras);

  const reactions = Object.entries(m.reactions || {}).filter(([, users]) => users.length);
  if (reactions.length) {
    li.append(
      h(
        "div",
        { class: "reactions" },
        reactions.map(([emoji, users]) => {
          const pressed = users.includes(store.me.id);
          return h("button", {
            type: "button",
            class: "reaction",
            "data-act": `reaction-${emoji}`,
            "aria-pressed": String(pressed),
            "aria-label": `${emoji} ${users.length}: ${users.map(userName).join(", ")}`,
            title: users.map(userName).join(", "),
            text: `${emoji} ${users.length}`,
          });
        }),
      ),
    );
  }

  // A toolbar someone is using is drawn with its message; the others wait for a pointer or the focus.
  if (view.palette === m.id || view.confirmDelete === m.id) li.append(messageActions(m));
  if (view.palette === m.id) {
    li.append(
      h(
        "div",
        { class: "palette", role: "group", "aria-label": "Pick a reaction" },
        EMOJI.map((emoji) =>
          h("button", {
            type: "button",
            "data-act": `add-${emoji}`,
            "aria-label": `React with ${emoji}`,
            text: emoji,
          }),
        ),
        h("button", {
          type: "button",
          "data-act": "more-emoji",
          "aria-label": "More emoji",
          text: "…",
        }),
      ),
    );
  }
  return li;
}

// A message's actions (react, reply, edit, delete, pin, report...). They are hidden until the
// message is hovered or holds the focus, yet built for every message they were a third of the
// elements an open drew (fifty toolbars, seven buttons each, none of them seen): so a toolbar is
// built when its message first has the pointer over it or the focus in it (see equip), before
// the :hover or :focus-within rule shows it.
function messageActions(m) {
  const mine = m.sender_id === store.me.id;
  const entry = store.conversations.get(m.conversation_id);
  const canPin = entry && (entry.conversation.kind === "direct" || canModerate(entry));
  const act = (name, label) => h("button", { type: "button", "data-act": name, text: label });
  const confirming = view.confirmDelete === m.id;
  return h(
    "div",
    { class: `message-actions${view.palette === m.id || confirming ? " visible" : ""}`, role: "group", "aria-label": "Message actions" },
    act("react", "React"),
    act("reply", "Reply"),
    act("thread", "Reply in thread"),
    mine ? act("edit", "Edit") : null,
    mine || (entry && canModerate(entry)) ? act("delete", confirming ? "Really delete?" : "Delete") : null,
    canPin ? act("pin", m.pinned ? "Unpin" : "Pin") : null,
    mine ? null : act("report", "Report"),
  );
}

// Gives a drawn message its toolbar if it has none yet (a deleted message has none to give), in
// the place the full drawing has it: before the reaction palette and the "Seen by" line. Its
// buttons join the tab order only when the message is the active one, as its other controls do.
function equip(li) {
  if (!li || li.querySelector(":scope > .message-actions") || li.classList.contains("deleted")) return;
  const m = view.messages.find((message) => message.id === li.dataset.id);
  if (!m || m.deleted) return;
  const toolbar = messageActions(m);
  if (li.id !== view.active) for (const el of toolbar.querySelectorAll("button")) el.tabIndex = -1;
  li.insertBefore(toolbar, li.querySelector(":scope > .palette, :scope > .seen"));
}

function report(error) {
  $("#composer-error").textContent = error.message;
  setTimeout(() => ($("#composer-error").textContent = ""), 6000);
}

async function write(frame, rest) {
  // Over the socket when it is up; REST otherwise, so that an action never waits for a reconnect.
  try {
    let message = null;
    if (store.connection.online) {
      try {
        message = (await store.connection.request(frame)).message;
      } catch (error) {
        if (error.code !== "disconnected") throw error;
      }
    }
    applyMessage(message || (await rest()), false);
  } catch (error) {
    report(error);
  }
}

function react(m, emoji, add) {
  const frame = { type: add ? "react" : "unreact", conversation_id: m.conversation_id, message_id: m.id, emoji };
  const path = `conversations/${m.conversation_id}/messages/${m.id}/reactions/${encodeURIComponent(emoji)}`;
  return write(frame, () => api(add ? "PUT" : "DELETE", path));
}

function remove(m) {
  if (view.confirmDelete !== m.id) {
    view.confirmDelete = m.id;
    renderMessages();
    setTimeout(() => {
      if (view.confirmDelete === m.id) {
        view.confirmDelete = null;
        renderMessages();
      }
    }, 5000);
    return;
  }
  view.confirmDelete = null;
  const frame = { type: "delete", conversation_id: m.conversation_id, message_id: m.id };
  return write(frame, () => api("DELETE", `conversations/${m.conversation_id}/messages/${m.id}`));
}

function pin(m) {
  const path = `conversations/${m.conversation_id}/messages/${m.id}/pin`;
  return api(m.pinned ? "DELETE" : "PUT", path)
    .then((message) => applyMessage(message, false))
    .catch(report);
}

