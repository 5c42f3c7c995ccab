// The composer: Enter sends, Shift+Enter is a new line, Escape cancels a reply or an edit, ArrowUp
// in an empty box edits your last message; typing notices; @mention autocomplete over the members.

import { $, h } from "./dom.js";
import { snippet } from "./render.js";
import { store, userName } from "./state.js";

const MENTION_AT_CARET = /(?:^|[\s(])@([A-Za-z0-9_.-]{0,32})$/;
const mode = { kind: "new", message: null }; // new | reply | edit
const lastTyping = new Map(); // conversation id -> when I last said I was typing
let suggestions = [];
let active = 0;
let hooks = {}; // send(text, parentId), edit(message, text), lastOwnMessage()

const textarea = () => $("#composer-text");

export function setComposerHooks(h) {
  hooks = h;
}

export function setupComposer() {
  const form = $("#composer");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submit();
  });
  textarea().addEventListener("keydown", onKeyDown);
  textarea().addEventListener("input", onInput);
  textarea().addEventListener("blur", () => setTimeout(closeMentions, 150));
  $("[data-cancel]", form).addEventListener("click", () => setMode("new"));
}

export function setMode(kind, message = null) {
  Object.assign(mode, { kind, message });
  const bar = $("#composer-context");
  bar.hidden = kind === "new";
  if (kind === "reply") $("[data-text]", bar).textContent = `Replying to ${userName(message.sender_id)}: ${snippet(message.text, 60)}`;
  if (kind === "edit") {
    $("[data-text]", bar).textContent = "Editing your message (Escape to cancel)";
    textarea().value = message.text;
  } else if (kind === "new" && mode.wasEditing) textarea().value = "";
  mode.wasEditing = kind === "edit";
  autosize();
  textarea().focus();
}

export function resetComposer() {
  textarea().value = "";
  setMode("new");
  closeMentions();
  $("#composer-error").textContent = "";
}

async function submit() {
  const text = textarea().value;
  if (!text.trim() || !store.openId) return;
  if (text.length > store.config.message_max_length) {
    $("#composer-error").textContent = `A message is at most ${store.config.message_max_length} characters.`;
    return;
  }
  if (mode.kind === "edit") {
    try {
      await hooks.edit(mode.message, text);
    } catch (error) {
      $("#composer-error").textContent = error.message;
      return;
    }
  } else hooks.send(text, mode.kind === "reply" ? mode.message.id : null);
  lastTyping.delete(store.openId); // the others stopped showing "typing" when the message came
  textarea().value = "";
  $("#composer-error").textContent = "";
  setMode("new");
}

function onKeyDown(event) {
  if (suggestions.length) {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      active = (active + (event.key === "ArrowDown" ? 1 : suggestions.length - 1)) % suggestions.length;
      return renderMentions();
    }
    if (event.key === "Enter" || event.key === "Tab") {
      event.preventDefault();
      return pick(suggestions[active]);
    }
    if (event.key === "Escape") {
      event.preventDefault();
      return closeMentions();
    }
  }
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    return submit();
  }
  if (event.key === "Escape" && mode.kind !== "new") {
    event.preventDefault();
    return setMode("new");
  }
  if (event.key === "ArrowUp" && !textarea().value) {
    const last = hooks.lastOwnMessage();
    if (last) {
      event.preventDefault();
      setMode("edit", last);
    }
  }
}

function onInput() {
  autosize();
  const now = Date.now();
  const last = lastTyping.get(store.openId) || 0;
  if (textarea().value && store.openId && now - last > store.config.typing_interval * 1000) {
    lastTyping.set(store.openId, now);
    store.connection.notify({ type: "typing", conversation_id: store.openId });
  }
  const before = textarea().value.slice(0, textarea().selectionStart);
  const match = before.match(MENTION_AT_CARET);
  if (!match) return closeMentions();
  const prefix = match[1].toLowerCase();
  const members = (store.members.get(store.openId) || []).map((m) => m.user).filter((u) => u.id !== store.me.id);
  const entry = store.conversations.get(store.openId);
  const everyone = entry && entry.conversation.kind !== "direct" ? [{ id: 0, username: "all", display_name: "Everyone here" }] : [];
  suggestions = [...members, ...everyone]
    .filter((u) => u.username.toLowerCase().startsWith(prefix) || (u.display_name || "").toLowerCase().startsWith(prefix))
    .slice(0, 8);
  active = 0;
  renderMentions();
}

function renderMentions() {
  const list = $("#mention-list");
  list.hidden = suggestions.length === 0;
  textarea().setAttribute("aria-expanded", String(!list.hidden));
  list.replaceChildren(
    ...suggestions.map((user, i) =>
      h(
        "li",
        {
          id: `mention-${i}`,
          role: "option",
          "aria-selected": String(i === active),
          onmousedown: (event) => {
            event.preventDefault();
            pick(user);
          },
        },
        h("strong", { text: `@${user.username}` }),
        user.display_name ? ` ${user.display_name}` : "",
      ),
    ),
  );
  if (suggestions.length) textarea().setAttribute("aria-activedescendant", `mention-${active}`);
  else textarea().removeAttribute("aria-activedescendant");
}

function closeMentions() {
  suggestions = [];
  renderMentions();
}

function pick(user) {
  const box = textarea();
  const caret = box.selectionStart;
  const before = box.value.slice(0, caret).replace(/@([A-Za-z0-9_.-]{0,32})$/, `@${user.username} `);
  box.value = before + box.value.slice(caret);
  box.selectionStart = box.selectionEnd = before.length;
  closeMentions();
  box.focus();
}

function autosize() {
  const box = textarea();
  box.style.height = "auto";
  box.style.height = `${Math.min(box.scrollHeight, 200)}px`;
}
