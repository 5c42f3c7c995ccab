// The conversation list: newest activity first, unread badges, last message, presence dots.

import { avatar } from "./avatar.js";
import { $, arrowKeys, h } from "./dom.js";
import { snippet } from "./render.js";
import { activity, conversationName, store, userName } from "./state.js";

let onOpen = () => {};

export function setupSidebar(open) {
  onOpen = open;
  arrowKeys($("#conversations"), "button.conversation");
}

function presenceDot(userId) {
  // Offline, what was known of others is stale: show nobody as around rather than a green dot.
  const known = store.connection && store.connection.online;
  const status = known ? store.presence.get(userId) || "offline" : "unknown";
  return h("span", { class: `dot ${status}`, role: "img", "aria-label": status, title: status });
}

function lastLine(entry) {
  const m = entry.last_message;
  if (!m) return entry.conversation.topic || "No messages yet";
  const who = entry.conversation.kind === "direct" && m.sender_id !== store.me.id ? "" : `${userName(m.sender_id)}: `;
  if (m.deleted || !m.text) return `${who}message deleted`;
  return who + snippet(m.text, 60);
}

export function renderConversations() {
  const entries = [...store.conversations.values()].sort((a, b) => activity(b).localeCompare(activity(a)));
  const focusedId = document.activeElement && document.activeElement.dataset && document.activeElement.dataset.conversation;
  $("#conversations").replaceChildren(
    ...entries.map((entry) => {
      const open = entry.id === store.openId;
      const name = conversationName(entry);
      const unread = open ? 0 : entry.unread;
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
          entry.peer ? [avatar(entry.peer.id, { variant: "inline" }), presenceDot(entry.peer.id)] : h("span", { class: "kind", "aria-hidden": "true", text: entry.conversation.kind === "channel" ? "#" : "⁂" }),
          h("span", { class: "name", text: name }),
          unread ? h("span", { class: "badge", "aria-label": `${unread} unread`, text: unread > 99 ? "99+" : String(unread) }) : null,
          h("span", { class: "last", text: lastLine(entry) }),
        ),
      );
    }),
  );
  $("#conversations-empty").hidden = entries.length > 0;
  if (focusedId) {
    const again = document.querySelector(`[data-conversation="${CSS.escape(focusedId)}"]`);
    if (again) again.focus();
  }
  const total = entries.reduce((sum, e) => sum + (e.id === store.openId ? 0 : e.unread), 0);
  document.title = total ? `(${total}) chatsite` : "chatsite";
}
