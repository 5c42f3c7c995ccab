// The browser client's entry point: sign-in, then the chat screen, fed by REST and one WebSocket.

import { ApiError, api, get, post } from "./api.js";
import { resetComposer, setComposerHooks, setMode, setupComposer } from "./composer.js";
import { setupUploads } from "./uploads.js";
import { setupPicture } from "./picture.js";
import { openHistory, openProfile, openReport, setDialogHooks, setupDialogs, startDirect } from "./dialogs.js";
import { $, showError } from "./dom.js";
import { Outbox } from "./outbox.js";
import {
  applyMessage,
  closeConversation,
  latestSeq,
  openConversation,
  pendingItem,
  renderHeader,
  renderMessages,
  setPaneHooks,
  setupMessageActions,
  setupMessageKeys,
  setupNewBelow,
  showNewBelow,
  atBottom,
  updateRoot,
  view,
} from "./pane.js";
import {
  applyReply,
  applyRoot,
  closeThread,
  isReply,
  loadFollowed,
  openThread,
  render as renderThread,
  replyOutboxChanged,
  setThreadHooks,
  setupThreads,
  thread,
} from "./thread.js";
import { permalink } from "./render.js";
import { setupSecurity } from "./security.js";
import { setupShortcuts } from "./shortcuts.js";
import { setupTheme } from "./theme.js";
import { renderWelcome, setupWelcome } from "./welcome.js";
import { addNotice } from "./notices.js";
import { setupDetails } from "./details.js";
import { renderConversations, setupSidebar } from "./sidebar.js";
import { Drafts } from "./drafts.js";
import { alertLocally, setupNotifications, withdraw } from "./notify.js";
import { setupDataExport } from "./export.js";
import { usePasskey } from "./passkeys.js";
import { Connection } from "./socket.js";
import { changed, ensureUsers, loadMembers, remember, store, upsertConversation, userName } from "./state.js";

const codes = store.config.close_codes;
// Whatever name the moderation close code gets, any of these means "the account was suspended".
const SUSPENDED = new Set(
  Object.entries(codes)
    .filter(([name]) => /ban|suspend|disabled|deactivat/.test(name))
    .map(([, code]) => code),
);

// --- connection state ---

const STATE_TEXT = {
  connecting: "Connecting…",
  reconnecting: "Reconnecting…",
  online: "Connected",
  offline: "You are offline. Messages you write will be sent when you are back.",
  stopped: "",
  signed_out: "You have been signed out.",
  suspended: "Your account is suspended.",
};

function showState(name, detail = {}) {
  const line = $("#connection");
  line.dataset.state = name;
  const pending = store.outbox ? store.outbox.items.filter((i) => i.status !== "failed").length : 0;
  let text = name === "waiting" ? `Connection lost. Retrying in ${detail.seconds} s…` : STATE_TEXT[name] ?? name;
  if (pending && name !== "online") text += ` (${pending} waiting to be sent)`;
  line.textContent = text;
  if (store.me && store.connection) {
    // Presence dots and the state of queued messages depend on being connected.
    changed();
    renderMessages();
    renderHeader();
    renderThread();
  }
}

// --- addresses: /c/<conversation id> and /c/<conversation id>/<seq> (a message's permalink) ---

const ROUTE = /^\/c\/([0-9a-f-]{36})(?:\/(\d+))?\/?$/i;

function route() {
  const match = location.pathname.match(ROUTE);
  return match ? { id: match[1].toLowerCase(), seq: match[2] ? Number(match[2]) : null } : null;
}


function go(path, replace = false) {
  if (location.pathname === path) return;
  if (replace) history.replaceState(null, "", path);
  else history.pushState(null, "", path);
}

// The address decides what is open: on start, after sign-in, and on Back and Forward.
async function followRoute() {
  const target = route();
  if (!target) {
    if (store.openId) leaveOpen();
    return;
  }
  if (store.conversations.has(target.id)) {
    if (target.id !== store.openId || target.seq !== null) await open(target.id, { aroundSeq: target.seq, fromHistory: true });
    return;
  }
  go("/", true);
  leaveOpen();
  view.notice = "That conversation does not exist, or you are not in it.";
  renderHeader();
}

// --- sign in and out ---

function showAuth(notice = "") {
  $("#chat").hidden = true;
  $("#auth").hidden = false;
  for (const form of document.querySelectorAll("#auth form")) form.hidden = form.id !== "login-form";
  $("#auth-notice").hidden = !notice;
  $("#auth-notice").textContent = notice;
  showState("stopped");
  $("#login-username").focus();
}

// The password step (or single sign-on) of a user with two-factor on answers a challenge instead
// of a session; the code step sends it back with the code or the passkey's answer.
let challenge = "";

function startCodeStep(fromServer) {
  challenge = fromServer;
  askCode(true);
}

function setupAuth() {
  if (store.config.sso) {
    $("#sso").hidden = false;
    $("#sso-link").textContent = `Sign in with ${store.config.sso}`;
  }
  for (const button of document.querySelectorAll("[data-show]")) {
    button.addEventListener("click", () => {
      for (const form of document.querySelectorAll("#auth form")) form.hidden = form.id !== button.dataset.show;
      $(`#${button.dataset.show} input`).focus();
    });
  }
  const submit = (form, path, fields) =>
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const data = new FormData(form);
      const body = { device: "browser" };
      for (const field of fields) body[field] = data.get(field) || "";
      if (form.id === "two-factor-form") body.challenge = challenge;
      showError(form, null);
      try {
        // The answer carries a token for API clients; the browser keeps only the HttpOnly
        // session cookie that comes with it.
        const answer = await post(path, body);
        form.reset();
        if (answer.two_factor_required) {
          startCodeStep(answer.challenge);
          return askCode(answer.passkey);
        }
        challenge = "";
        startChat(answer.user);
      } catch (error) {
        showError(form, error);
        if (error.code === "invalid_challenge") challenge = "";
      }
    });
  submit($("#login-form"), "auth/login", ["username", "password"]);
  submit($("#signup-form"), "auth/register", ["username", "password", "display_name"]);
  submit($("#two-factor-form"), "auth/login/two-factor", ["code"]);
  $("#two-factor-passkey").addEventListener("click", async () => {
    const form = $("#two-factor-form");
    showError(form, null);
    try {
      const passkey = await usePasskey(await post("auth/login/passkey-options", { challenge }));
      const { user } = await post("auth/login/two-factor", { challenge, passkey, device: "browser" });
      challenge = "";
      form.reset();
      startChat(user);
    } catch (error) {
      showError(form, error);
    }
  });
}

function askCode(passkey) {
  for (const form of document.querySelectorAll("#auth form")) form.hidden = form.id !== "two-factor-form";
  $("#two-factor-passkey").hidden = !passkey;
  $("#two-factor-code").focus();
}

async function signOut(notice = "") {
  stopChat();
  try {
    await post("auth/logout");
  } catch {
    /* already signed out */
  }
  showAuth(notice);
}

function stopChat() {
  if (store.connection) store.connection.stop();
  history.replaceState(null, "", "/");
  store.connection = null;
  store.conversations.clear();
  store.members.clear();
  store.openId = null;
  view.id = null;
  greeted = false;
}

// --- the chat screen ---

async function startChat(me) {
  store.me = me;
  remember(me);
  store.outbox = new Outbox(`chatsite.outbox.${me.id}`);
  store.drafts = new Drafts(`chatsite.drafts.${me.id}`);
  $("#auth").hidden = true;
  $("#chat").hidden = false;
  renderMe();
  await refreshConversations();
  store.connection = new Connection(store.config, { hello, frame, state: showState, closed });
  store.connection.start();
  loadFollowed();
  renderConversations(); // drawn now: the first row takes the focus
  const first = document.querySelector("button.conversation");
  (first || $("#new-button")).focus();
  await followRoute();
}

function renderMe() {
  $("#me-button").textContent = store.me.display_name || store.me.username;
  $("#me-button").setAttribute("aria-label", `Your profile: ${store.me.username}`);
}

// Where people are shown by name or picture: after a profile changed, here or elsewhere.
function redrawPeople() {
  renderMe();
  changed();
  renderHeader();
  if (store.openId) renderMessages();
  renderThread();
}

// Someone's name or picture changed (mine too, on another device): the socket only says who.
async function profileChanged(userId) {
  const mine = userId === store.me.id;
  try {
    const user = await get(mine ? "me" : `users/${userId}`);
    if (mine) store.me = user;
    remember(user);
    redrawPeople();
  } catch (error) {
    // Hidden from me since (a block, a ban): the next load of that person says so.
    console.warn(`The profile of user ${userId} could not be refreshed`, error);
  }
}

async function refreshConversations() {
  const { results } = await get("conversations");
  const seen = new Set();
  for (const row of results) seen.add(upsertConversation(row).id);
  for (const id of [...store.conversations.keys()]) if (!seen.has(id)) store.conversations.delete(id);
  await ensureUsers(results.flatMap((r) => (r.last_message ? [r.last_message.sender_id] : [])));
  if (store.openId && !store.conversations.has(store.openId)) leaveOpen();
  changed();
  renderWelcome();
}

// A background load or write that failed: said in one line under the connection state, with Retry.
function failed(error, retry) {
  if (!store.me) return; // signed out meanwhile: nothing to retry
  const line = $("#app-error");
  line.hidden = false;
  $("[data-text]", line).textContent = `${error.message} `;
  $("button", line).onclick = () => {
    clearFailure();
    retry();
  };
}

function clearFailure() {
  $("#app-error").hidden = true;
}

let refreshTimer = null;
function refreshSoon() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => refreshConversations().then(clearFailure, (error) => failed(error, refreshSoon)), 200);
}

function leaveOpen() {
  if (route()) go("/", true);
  store.openId = null;
  view.id = null;
  view.messages = [];
  view.notice = "";
  if (thread.root) closeThread();
  renderHeader();
  renderMessages();
  closeConversation();
  renderWelcome();
}

async function open(id, options = {}) {
  const entry = store.conversations.get(id);
  if (!entry) return;
  if (!options.fromHistory) go(permalink(id, options.aroundSeq ?? null));
  // A read mark still waiting for the conversation being left would be made against this one
  // (it reads store.openId when it fires), in the middle of its load, forcing a layout to ask
  // whether the log is at its bottom: this open asks for its own mark once it is drawn.
  clearTimeout(readTimer);
  // The open conversation changes first, so that everything drawn from here on (the typing line,
  // the composer's draft) is the new one's.
  const was = store.openId;
  store.openId = id;
  view.notice = "";
  if (thread.root && thread.root.conversation_id !== id) closeThread();
  renderWelcome();
  resetComposer(id);
  entry.unread = 0;
  changed({ conversations: [was, id] });
  renderTyping();
  await openConversation(id, { aroundSeq: options.aroundSeq ?? null });
  markRead();
}

// While a resume is on its way: the conversations a resync frame named (see resync below).
let stale = null;
// Whether this sign-in had a hello already: the next one is a reconnect.
let greeted = false;

// After `hello`: say where each conversation was left, so the server replays what was missed, then
// send what was written meanwhile.
async function hello(frame) {
  const seqs = {};
  for (const entry of store.conversations.values()) seqs[entry.id] = entry.seq;
  stale = new Set();
  let result;
  try {
    result = await store.connection.request({ type: "resume", conversations: seqs });
  } finally {
    const named = stale;
    stale = null;
    if (result) {
      for (const [id, answer] of Object.entries(result.conversations)) {
        if (answer === "not_member") store.conversations.delete(id);
        if (answer === "resync") named.add(id);
      }
    }
    catchUp(named);
  }
  // A hello after the first is a reconnect: the socket was deaf meanwhile, and what it says of names
  // and pictures is never replayed. The list brings the direct peers again, the members the open
  // conversation's people; a first hello only needs the list if it names a conversation it lacks.
  if (greeted || frame.conversations.some((id) => !store.conversations.has(id))) refreshSoon();
  if (greeted && store.openId) refreshPeopleOf(store.openId);
  greeted = true;
  changed();
  flushOutbox();
}

function refreshPeopleOf(id) {
  loadMembers(id, true).then(redrawPeople, (error) => failed(error, () => refreshPeopleOf(id)));
}

function flushOutbox() {
  if (!store.connection || !store.connection.online) return;
  store.outbox.flush(
    (item) =>
      store.connection
        .request({
          type: "send",
          conversation_id: item.conversation_id,
          client_id: item.client_id,
          text: item.text,
          parent_id: item.parent_id,
          thread_root: item.thread_root || null,
        })
        .then((result) => result.message),
    (item, message) => {
      if (item.thread_root) replyOutboxChanged(item, message);
      else if (message) applyMessage(message, true);
      else if (item.conversation_id === view.id) renderMessages();
      showState(store.connection ? store.connection.state : "stopped");
    },
  );
}

function closed(code) {
  if (SUSPENDED.has(code)) {
    suspended();
    return "stop";
  }
  if (code === codes.unauthenticated) {
    // The session ended (signed out elsewhere, expired, or the account was disabled).
    get("me")
      .then(() => null)
      .catch((error) => {
        if (error instanceof ApiError && (error.status === 401 || error.status === 403)) {
          stopChat();
          showAuth("You have been signed out. Please sign in again.");
        }
      });
  }
  return null;
}

function suspended() {
  stopChat();
  showAuth("Your account is suspended, so you have been signed out.");
  showState("suspended");
  const dialog = $("#suspended-dialog");
  if (!dialog.open) dialog.showModal();
}

// --- frames from the socket ---

function frame(f) {
  switch (f.type) {
    case "presence":
      for (const [id, status] of Object.entries(f.users)) store.presence.set(Number(id), status);
      changed();
      renderHeader();
      return;
    case "typing":
      return typing(f);
    case "read":
      return receipt(f);
    case "user":
      return profileChanged(f.user_id);
    case "resync":
      return resync(f);
    case "error":
      return;
    default:
      if (f.conversation_id && typeof f.seq === "number") applyEvent(f);
  }
}

function applyEvent(event) {
  const entry = store.conversations.get(event.conversation_id);
  if (!entry) {
    // A conversation I was just added to: the list is loaded again, and will have this message
    // already, so the page takes it as known. Its alert is due now.
    if (event.type === "message.created" && event.actor_id !== store.me.id) alertLocally(event.message);
    refreshSoon();
    return;
  }
  if (event.seq <= entry.seq) return; // applied already (a replay overlapping what this page applied)
  entry.seq = event.seq;
  const message = event.message;
  const mine = event.actor_id === store.me.id;
  if (message && isReply(message)) {
    // A reply lives in its thread: it moves its root's count, not the conversation's unread or preview.
    applyReply(message, event.data.thread);
    if (event.type === "message.created") stopTyping(entry.id, message.sender_id);
    changed({ conversations: [entry.id] });
    return;
  }
  if (message) applyRoot(message);
  // Someone this client has not met yet (their first words, in a conversation not open): the
  // sidebar's last line names them once their profile is in, not as "User 12".
  if (message) ensureUsers([message.sender_id]).then((learned) => learned && changed({ users: true }));
  switch (event.type) {
    case "message.created": {
      const listed = event.seq <= entry.listed; // a list loaded since has it: counted and shown there
      if (!listed) entry.last_message = message;
      stopTyping(entry.id, message.sender_id);
      const seen = entry.id === store.openId && document.visibilityState === "visible" && atBottom();
      if (!mine && !seen && !listed) entry.unread += 1;
      // Not for the conversation on screen, even scrolled up: its "New messages below" says it.
      if (!mine && (entry.id !== store.openId || document.visibilityState !== "visible")) alertLocally(message);
      applyMessage(message, true);
      if (entry.id === store.openId && !mine && !seen) showNewBelow();
      if (entry.id === store.openId) markRead();
      break;
    }
    case "message.edited":
    case "message.deleted":
    case "message.pinned":
    case "message.previewed":
    case "reaction.added":
    case "reaction.removed":
      if (message) {
        if (entry.last_message && entry.last_message.id === message.id) {
          entry.last_message = message;
          // The preview is the newest message still there: the server knows which one that is.
          if (message.deleted) refreshSoon();
        }
        applyMessage(message, false);
      }
      break;
    case "member.left":
      showNotice(event);
      if (event.data.user_id === store.me.id) {
        store.conversations.delete(entry.id);
        if (store.openId === entry.id) leaveOpen();
      }
      store.members.delete(entry.id);
      break;
    case "member.joined":
      showNotice(event);
    // falls through: the member list changed as it does for a role
    case "member.role_changed":
      store.members.delete(entry.id);
      // My role is in the list. My own join is news only to a page without the conversation (above).
      if (event.data.user_id === store.me.id && event.type === "member.role_changed") refreshSoon();
      if (entry.id === store.openId) loadMembers(entry.id).catch((error) => failed(error, () => loadMembers(entry.id)));
      break;
    case "conversation.updated":
      refreshSoon();
      get(`conversations/${entry.id}`)
        .then((conversation) => {
          entry.conversation = conversation;
          if (entry.id === store.openId) renderHeader();
          changed({ conversations: [entry.id] });
        })
        .catch((error) => failed(error, refreshSoon));
      break;
    default: // hidden: a blocked sender's event keeps its seq and shows nothing
  }
  changed({ conversations: [entry.id] });
}

function showNotice(event) {
  if (!addNotice(event) || event.conversation_id !== store.openId) return;
  ensureUsers([event.data.user_id, event.actor_id]).then(() => renderMessages());
}

// The server could not replay a conversation (the resume came after its grace, or too much was
// missed): the list is loaded again, and the log if it is the open one. A late resume brings such a
// frame for every conversation with news, all before its answer: those wait for the answer, and one
// load of the list serves them all (an account in a thousand conversations loads it once, not a
// thousand times).
function resync(f) {
  const entry = store.conversations.get(f.conversation_id);
  if (entry) entry.seq = Math.max(entry.seq, f.seq);
  if (stale) stale.add(f.conversation_id);
  else catchUp(new Set([f.conversation_id]));
}

function catchUp(ids) {
  if (!ids.size) return;
  refreshSoon();
  if (ids.has(store.openId)) openConversation(store.openId);
}

// A member read up to a seq. When it is me, on another device, this one follows: the badge and the
// tab title drop what was read there.
function receipt(f) {
  if (f.user_id !== store.me.id) {
    // Someone else read: their mark moves, and "Seen by" under my messages follows.
    const membership = (store.members.get(f.conversation_id) || []).find((m) => m.user.id === f.user_id);
    if (membership && f.seq > membership.last_read_seq) membership.last_read_seq = f.seq;
    if (f.conversation_id === store.openId) renderMessages();
    return;
  }
  const entry = store.conversations.get(f.conversation_id);
  if (!entry || f.seq <= entry.last_read_seq) return;
  entry.last_read_seq = f.seq;
  // Only messages count as unread: read up to the newest message is all read.
  if (f.seq >= (entry.last_message ? entry.last_message.seq : 0)) entry.unread = 0;
  else refreshSoon(); // read part of it: the server counts what is left
  changed({ conversations: [entry.id] });
}

// --- typing ---

function typing(f) {
  if (f.user_id === store.me.id) return;
  // Only a connected socket types. This also covers someone I just started sharing a conversation
  // with, whose presence the server sends only on their next change.
  if (store.presence.get(f.user_id) !== "online") {
    store.presence.set(f.user_id, "online");
    changed();
  }
  if (!store.typing.has(f.conversation_id)) store.typing.set(f.conversation_id, new Map());
  const people = store.typing.get(f.conversation_id);
  clearTimeout(people.get(f.user_id));
  people.set(
    f.user_id,
    setTimeout(() => stopTyping(f.conversation_id, f.user_id), f.expires_in * 1000),
  );
  ensureUsers([f.user_id]).then(renderTyping);
  renderTyping();
}

function stopTyping(conversationId, userId) {
  const people = store.typing.get(conversationId);
  if (!people || !people.has(userId)) return;
  clearTimeout(people.get(userId));
  people.delete(userId);
  renderTyping();
}

function renderTyping() {
  const people = [...(store.typing.get(store.openId) || new Map()).keys()].map(userName);
  $("#typing").textContent =
    people.length === 0
      ? ""
      : people.length === 1
        ? `${people[0]} is typing…`
        : people.length === 2
          ? `${people[0]} and ${people[1]} are typing…`
          : "Several people are typing…";
}

// --- reading ---

let readTimer = null;
function markRead() {
  clearTimeout(readTimer);
  readTimer = setTimeout(() => {
    const entry = store.conversations.get(store.openId);
    const seq = latestSeq();
    // Read means seen: the newest message must be on screen, not somewhere below the reader.
    if (!entry || document.visibilityState !== "visible" || !atBottom() || seq <= entry.last_read_seq) return;
    const before = entry.last_read_seq;
    entry.last_read_seq = seq;
    entry.unread = 0;
    // This device's notification of it; a failure leaves a notification up, nothing to act on here.
    withdraw(entry.id).catch((error) => console.warn("A notification could not be closed:", error));
    if (store.connection && store.connection.online) {
      store.connection.notify({ type: "read", conversation_id: entry.id, seq });
    } else {
      post(`conversations/${entry.id}/read`, { seq }).catch((error) => {
        entry.last_read_seq = Math.min(entry.last_read_seq, before); // not recorded: try again
        failed(error, markRead);
      });
    }
    changed({ conversations: [entry.id] });
  }, 300);
}

document.addEventListener("visibilitychange", () => {
  if (!store.connection) return;
  store.connection.notify({ type: "presence", status: document.visibilityState === "visible" ? "online" : "away" });
  if (document.visibilityState === "visible") markRead();
});

// --- wiring ---

function send(text, parentId) {
  store.outbox.add(store.openId, text, parentId);
  renderMessages("bottom");
  showState(store.connection.state);
  flushOutbox();
}

async function edit(message, text) {
  const frame = { type: "edit", conversation_id: message.conversation_id, message_id: message.id, text };
  const result = store.connection.online
    ? (await store.connection.request(frame)).message
    : await api("PATCH", `conversations/${message.conversation_id}/messages/${message.id}`, { text });
  applyMessage(result, false);
}

function lastOwnMessage() {
  return [...view.messages].reverse().find((m) => m.sender_id === store.me.id && !m.deleted) || null;
}

setPaneHooks({
  reply: (m) => setMode("reply", m),
  edit: (m) => setMode("edit", m),
  report: openReport,
  profile: openProfile,
  history: openHistory,
  thread: openThread,
  openConversation: open,
  changed: () => changed({ users: true }),
  retry: (clientId) => {
    store.outbox.retry(clientId);
    renderMessages();
    renderThread();
    flushOutbox();
  },
  discard: (clientId) => {
    store.outbox.remove(clientId);
    renderMessages();
    renderThread();
  },
});
setComposerHooks({ send, edit, lastOwnMessage });
setThreadHooks({
  rootChanged: updateRoot,
  flush: () => {
    showState(store.connection.state);
    flushOutbox();
  },
  pendingItem,
  openFromList: async (root) => {
    await open(root.conversation_id);
    openThread(root);
  },
});
setDialogHooks({
  open,
  refresh: refreshConversations,
  signOut: () => signOut(),
  meChanged: redrawPeople,
  // The server hides a blocked person's messages and presence: the open pane and the dots follow
  // at once, as the sidebar does.
  blocked: async (userId, blocked) => {
    if (blocked) store.presence.delete(userId);
    await refreshConversations();
    if (store.openId) await openConversation(store.openId);
  },
});

async function boot() {
  setupTheme($("#theme-button"));
  setupWelcome({ refresh: refreshConversations, open, message: startDirect });
  setupDetails({
    changed: () => {
      renderHeader();
      changed();
    },
    left: (id) => {
      store.conversations.delete(id);
      if (store.openId === id) leaveOpen();
      changed();
    },
  });
  setupAuth();
  setupComposer();
  setupThreads();
  setupUploads();
  setupDialogs();
  setupPicture(redrawPeople);
  setupDataExport();
  setupSecurity();
  setupNotifications({
    open: (url) => {
      go(url);
      followRoute();
    },
  });
  setupSidebar(open);
  setupMessageKeys();
  setupMessageActions();
  setupNewBelow(markRead);
  setupShortcuts({
    open,
    markRead,
    toBottom: () => {
      if (view.hasNewer) open(store.openId);
      else $("#messages").scrollTop = $("#messages").scrollHeight;
    },
  });
  window.addEventListener("popstate", () => {
    if (store.me && !$("#chat").hidden) followRoute();
  });
  $("#back-button").addEventListener("click", () => {
    const was = store.openId;
    go("/");
    leaveOpen();
    changed({ conversations: [was] });
    renderConversations();
    const current = was && document.querySelector(`[data-conversation="${CSS.escape(was)}"]`);
    if (current) current.focus();
  });
  $("#suspended-dialog").addEventListener("close", () => $("#login-username").focus());
  try {
    startChat(await get("me"));
  } catch (error) {
    showAuth(error.status === 0 ? error.message : "");
    afterSingleSignOn();
  }
}

// Back from the single sign-on provider, the server says in the address's fragment what is left:
// an error to show, or the two-factor step (the account has a second factor).
function afterSingleSignOn() {
  const params = new URLSearchParams(location.hash.slice(1));
  if (!params.has("sso-error") && !params.has("two-factor")) return;
  history.replaceState(null, "", location.pathname);
  if (params.has("sso-error")) showAuth(params.get("sso-error"));
  else startCodeStep(params.get("two-factor"));
}

boot();
