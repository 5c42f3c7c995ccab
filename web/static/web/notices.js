// "Alice joined", "Bob left", "Carol was removed": lines in the log of a channel, from its
// member.joined and member.left events. Live ones come with the socket's events; for history, the
// message pages carry no events, so the events of the seqs a page covers are read from the event
// log (REST `events`) and only the membership ones are kept.

import { get, query } from "./api.js";
import { h } from "./dom.js";
import { ensureUsers, store, userName } from "./state.js";

const TYPES = new Set(["member.joined", "member.left"]);
const EVENTS_PAGE = 500; // the API's most per request
const MAX_PAGES = 4; // a page of messages rarely spans more events; beyond, older notices are left out

const byConversation = new Map(); // conversation id -> Map(seq -> event)

export function wantsNotices(conversationId) {
  const entry = store.conversations.get(conversationId);
  return Boolean(entry && entry.conversation.kind === "channel");
}

export function addNotice(event) {
  if (!TYPES.has(event.type) || !wantsNotices(event.conversation_id)) return false;
  if (!byConversation.has(event.conversation_id)) byConversation.set(event.conversation_id, new Map());
  byConversation.get(event.conversation_id).set(event.seq, event);
  return true;
}

// The notices of the seqs after `after` up to `upto`, from the event log; resolves once their
// people's names are known.
export async function loadNotices(conversationId, after, upto) {
  if (!wantsNotices(conversationId)) return;
  const found = [];
  for (let page = 0; page < MAX_PAGES && after < upto; page += 1) {
    const limit = Math.min(EVENTS_PAGE, upto - after);
    const { results } = await get(`conversations/${conversationId}/events?${query({ after, limit })}`);
    if (!results.length) break;
    for (const event of results) if (event.seq <= upto && addNotice(event)) found.push(event);
    after = results[results.length - 1].seq;
  }
  await ensureUsers(found.flatMap((e) => [e.data.user_id, e.actor_id]));
}

// The notices to draw among messages whose seqs run from `from` (exclusive of older pages not
// loaded) to `to`.
export function noticesBetween(conversationId, from, to) {
  const all = byConversation.get(conversationId);
  if (!all) return [];
  return [...all.values()].filter((e) => e.seq >= from && e.seq <= to).sort((a, b) => a.seq - b.seq);
}

export function noticeText(event) {
  const who = userName(event.data.user_id);
  const was = event.data.user_id === store.me.id ? "were" : "was";
  const self = event.actor_id === event.data.user_id;
  if (event.type === "member.joined") {
    return self || !event.actor_id ? `${who} joined` : `${who} ${was} added by ${userName(event.actor_id)}`;
  }
  return event.data.reason === "kicked" ? `${who} ${was} removed` : `${who} left`;
}

export function noticeItem(event) {
  return h("li", { class: "notice-line", id: `n-${event.conversation_id}-${event.seq}`, dataset: { seq: event.seq } }, noticeText(event));
}
