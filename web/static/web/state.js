// The client's memory: who I am, my conversations, the people I have seen, presence and typing.
// Views read it; app.js changes it from REST answers and socket frames, and says what it changed
// (`changed`) to the views that subscribed, which draw at most once per frame.

import { get } from "./api.js";

export const store = {
  config: JSON.parse(document.getElementById("chatsite-config").textContent),
  me: null,
  users: new Map(), // id -> public profile
  conversations: new Map(), // id -> {id, conversation, role, last_read_seq, unread, last_message, peer, seq, listed}
  members: new Map(), // conversation id -> [membership]
  presence: new Map(), // user id -> "online" | "away" | "offline"
  typing: new Map(), // conversation id -> Map(user id -> timeout handle)
  openId: null,
  connection: null,
  outbox: null,
  usersVersion: 0, // counts changes of the profiles above: drawn names are stale when it moves
};

const fetching = new Map();
const subscribers = new Set();

// A view's way to hear of changes: `listener(what)` with `what` as given to `changed`.
export function subscribe(listener) {
  subscribers.add(listener);
}

// Say what changed in the store: `changed()` when anything may have (a reload, a reconnection),
// `changed({ conversations: [ids] })` when only those entries did (opening, reading, a message),
// `changed({ users: true })` after profiles were loaded, which may or may not be new ones.
// Naming the entries is what lets the sidebar of a thousand conversations redraw two rows.
export function changed(what = { all: true }) {
  for (const listener of subscribers) listener(what);
}

// `fresh`, or `known` when the two hold the same: what the store keeps from a reload. Views tell a
// real change by identity (the sidebar compares a thousand rows that way), so data loaded again
// unchanged (a member list, the conversation list after a resync) must not look new to them.
function kept(known, fresh) {
  return known && fresh && JSON.stringify(known) === JSON.stringify(fresh) ? known : fresh;
}

export function remember(user) {
  if (!user || !user.id) return;
  const known = store.users.get(user.id);
  if (kept(known, user) === known) return;
  store.users.set(user.id, user);
  store.usersVersion += 1;
}

export function userName(id) {
  if (store.me && id === store.me.id) return "You";
  const user = store.users.get(id);
  return user ? user.display_name || user.username : `User ${id}`;
}

// Load the profiles of people not seen yet; resolves once they are known (or known to be gone).
export async function ensureUsers(ids) {
  const missing = [...new Set(ids)].filter((id) => id && !store.users.has(id));
  await Promise.all(
    missing.map((id) => {
      if (!fetching.has(id)) {
        const request = get(`users/${id}`)
          .then(remember)
          .catch(() => remember({ id, username: `user${id}`, display_name: "Former member" }))
          .finally(() => fetching.delete(id));
        fetching.set(id, request);
      }
      return fetching.get(id);
    }),
  );
  return missing.length > 0;
}

export async function loadMembers(conversationId, fresh = false) {
  if (!fresh && store.members.has(conversationId)) return store.members.get(conversationId);
  const { results } = await get(`conversations/${conversationId}/members`);
  for (const membership of results) remember(membership.user);
  store.members.set(conversationId, results);
  return results;
}

export function conversationName(entry) {
  const c = entry.conversation;
  if (c.kind === "direct") {
    // The newest profile known (a rename seen since the list was loaded), else the list's own copy.
    const peer = entry.peer && (store.users.get(entry.peer.id) || entry.peer);
    return peer ? peer.display_name || peer.username : "Direct message";
  }
  return c.kind === "channel" ? `#${c.title}` : c.title;
}

export function canModerate(entry) {
  return entry.role === "owner" || entry.role === "admin";
}

export function upsertConversation(row) {
  const id = row.conversation.id;
  const old = store.conversations.get(id);
  // The conversation's latest event when the list was read (its last message may be far older).
  const listed = row.seq;
  remember(row.peer);
  store.conversations.set(id, {
    id,
    conversation: kept(old && old.conversation, row.conversation),
    role: row.role,
    last_read_seq: row.last_read_seq,
    unread: row.unread_count,
    last_message: kept(old && old.last_message, row.last_message),
    peer: kept(old && old.peer, row.peer),
    // The highest event seq the socket applied, where a resume starts. A list loaded later does not
    // move it: its frames may still be on their way, and must not be taken for seen ones then.
    seq: old ? old.seq : listed,
    // What the list already counted (unread) and showed (last message): a frame up to here adds
    // its message to the log and alerts, but counts nothing twice.
    listed,
  });
  return store.conversations.get(id);
}

export function activity(entry) {
  return (entry.last_message && entry.last_message.created_at) || entry.conversation.created_at;
}
