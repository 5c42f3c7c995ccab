// Keyboard shortcuts: Ctrl/Cmd+K (the quick switcher), Alt+↑/↓ (previous or next conversation),
// Esc (mark read, go to the newest message), ? (the list). ↑ to edit lives in the composer.

import { $, h } from "./dom.js";
import { activity, conversationName, store } from "./state.js";

let hooks = {}; // open(id), markRead(), toBottom()
let found = [];
let active = 0;

function typingInField(target) {
  return target.closest("input, textarea, select, [contenteditable='true']") !== null;
}

function ordered() {
  return [...store.conversations.values()].sort((a, b) => activity(b).localeCompare(activity(a)));
}

export function setupShortcuts(h) {
  hooks = h;
  document.addEventListener("keydown", (event) => {
    if (!store.me || $("#chat").hidden) return;
    const key = event.key.toLowerCase();
    if ((event.ctrlKey || event.metaKey) && key === "k") {
      event.preventDefault();
      return openSwitcher();
    }
    if (document.querySelector("dialog[open]")) return; // a dialog has the keyboard
    if (event.altKey && (event.key === "ArrowUp" || event.key === "ArrowDown")) {
      event.preventDefault();
      const list = ordered();
      if (!list.length) return;
      const at = list.findIndex((e) => e.id === store.openId);
      const step = event.key === "ArrowUp" ? -1 : 1;
      const next = at < 0 ? 0 : (at + step + list.length) % list.length;
      return hooks.open(list[next].id);
    }
    if (event.key === "Escape" && store.openId && !event.defaultPrevented) {
      hooks.markRead();
      return hooks.toBottom();
    }
    if (event.key === "?" && !typingInField(event.target)) {
      event.preventDefault();
      $("#shortcuts-dialog").showModal();
    }
  });
  const q = $("#switcher-q");
  q.addEventListener("input", () => filter(q.value));
  q.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      if (!found.length) return;
      active = (active + (event.key === "ArrowDown" ? 1 : found.length - 1)) % found.length;
      render();
    } else if (event.key === "Enter") {
      event.preventDefault();
      if (found[active]) choose(found[active]);
    }
  });
}

function openSwitcher() {
  const dialog = $("#switcher-dialog");
  if (!dialog.open) dialog.showModal();
  $("#switcher-q").value = "";
  filter("");
  $("#switcher-q").focus();
}

function filter(text) {
  const words = text.toLowerCase().split(/\s+/).filter(Boolean);
  found = ordered()
    .filter((entry) => {
      const name = conversationName(entry).toLowerCase();
      return words.every((word) => name.includes(word));
    })
    .slice(0, 12);
  active = 0;
  render();
}

function render() {
  const q = $("#switcher-q");
  $("#switcher-results").replaceChildren(
    ...(found.length
      ? found.map((entry, i) =>
          h(
            "li",
            {
              id: `switch-${i}`,
              role: "option",
              class: "switch",
              "aria-selected": String(i === active),
              onclick: () => choose(entry),
            },
            h("span", { class: "name", text: conversationName(entry) }),
            entry.unread ? h("span", { class: "badge", text: ` ${entry.unread} unread` }) : null,
          ),
        )
      : [h("li", { class: "empty", text: "No conversation has that name." })]),
  );
  if (found.length) q.setAttribute("aria-activedescendant", `switch-${active}`);
  else q.removeAttribute("aria-activedescendant");
}

function choose(entry) {
  $("#switcher-dialog").close();
  hooks.open(entry.id);
}
