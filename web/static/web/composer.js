// The composer: Enter sends, Shift+Enter is a new line, Escape cancels a reply or an edit, ArrowUp
// in an empty box edits your last message; typing notices; @mention autocomplete over the members,
// `:shortcode:` autocomplete over the emoji, and the emoji picker's button; "/" commands (slash.js)
// offered the same way and run by the server.

import { $, h } from "./dom.js";
import { emojiForCode, emojiLoaded, loadEmoji, openPicker, shortcodeMatches } from "./emoji.js";
import { snippet } from "./render.js";
import { commandOption, commandSuggestions, isCommand, loadCommands, mayBeCommand, runCommand } from "./slash.js";
import { store, userName } from "./state.js";

const MENTION_AT_CARET = /(?:^|[\s(])@([A-Za-z0-9_.-]{0,32})$/;
const SHORTCODE_AT_CARET = /(?:^|[\s(]):([a-z0-9_+-]{2,32})$/;
const FINISHED_SHORTCODE = /(?:^|[\s(]):([a-z0-9_+-]{1,32}):$/;
const mode = { kind: "new", message: null }; // new | reply | edit
const lastTyping = new Map(); // conversation id -> when I last said I was typing
let suggestions = []; // {label: [nodes], replace: text before the caret -> new text}
let suggesting = "Suggestions"; // what the list offers, for its accessible name
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
  $("#composer-emoji").addEventListener("click", (event) =>
    openPicker(event.currentTarget, (emoji) => insertAtCaret(emoji), "Insert an emoji"),
  );
}

function insertAtCaret(text) {
  const box = textarea();
  const start = box.selectionStart;
  box.value = box.value.slice(0, start) + text + box.value.slice(box.selectionEnd);
  box.selectionStart = box.selectionEnd = start + text.length;
  afterEdit(box);
}

export function setMode(kind, message = null) {
  Object.assign(mode, { kind, message });
  const bar = $("#composer-context");
  bar.hidden = kind === "new";
  if (kind === "reply") $("[data-text]", bar).textContent = `Replying to ${userName(message.sender_id)}: ${snippet(message.text, 60)}`;
  if (kind === "edit") {
    $("[data-text]", bar).textContent = "Editing your message (Escape to cancel)";
    textarea().value = message.text;
  } else if (kind === "new" && mode.wasEditing) textarea().value = store.drafts ? store.drafts.get(store.openId) : "";
  mode.wasEditing = kind === "edit";
  autosize();
  renderCount();
  textarea().focus();
}

// Show the conversation just opened with its own draft (and no reply, edit or error of another).
export function resetComposer(conversationId = null) {
  Object.assign(mode, { kind: "new", message: null, wasEditing: false });
  textarea().value = store.drafts ? store.drafts.get(conversationId) : "";
  setMode("new");
  closeMentions();
  $("#composer-error").textContent = "";
}

// Number.toLocaleString("en") makes a formatter at each call, and the count is drawn at every open and keystroke.
const countFormat = new Intl.NumberFormat("en");

// A counter once the text nears the limit; past it the box is marked invalid and sending is refused
// (the textarea has no maxlength, which would cut a long paste silently).
function renderCount() {
  const max = store.config.message_max_length;
  const length = textarea().value.length;
  const count = $("#composer-count");
  const over = length > max;
  count.hidden = length < max * 0.9;
  if (!count.hidden) count.textContent = `${countFormat.format(length)} / ${countFormat.format(max)}`;
  count.classList.toggle("over", over);
  if (over) textarea().setAttribute("aria-invalid", "true");
  else textarea().removeAttribute("aria-invalid");
  if (!over && $("#composer-error").dataset.kind === "length") clearError();
}

function clearError() {
  $("#composer-error").textContent = "";
  delete $("#composer-error").dataset.kind;
}

function tooLong(length) {
  const max = store.config.message_max_length;
  const error = $("#composer-error");
  error.dataset.kind = "length";
  error.textContent =
    `This message is ${countFormat.format(length)} characters long; the limit is ${countFormat.format(max)}. ` +
    "Shorten it or split it into several messages. Nothing was sent.";
}

// A line sent before the conversation's commands came (typed and sent at once, or pasted) waits
// for them rather than going out as a message; the box keeps it meanwhile, and an Enter pressed
// again during the wait sends nothing twice. False when the conversation changed meanwhile.
let waitingForCommands = false;
async function commandsKnown() {
  if (waitingForCommands) return false;
  const openId = store.openId;
  waitingForCommands = true;
  try {
    await loadCommands(openId);
  } finally {
    waitingForCommands = false;
  }
  return store.openId === openId;
}

async function submit() {
  const text = textarea().value;
  if (!text.trim() || !store.openId) return;
  if (text.length > store.config.message_max_length) return tooLong(text.length);
  if (mode.kind === "new" && mayBeCommand(text) && !(await commandsKnown())) return;
  if (mode.kind === "new" && isCommand(store.openId, text)) {
    try {
      await runCommand(store.openId, text);
    } catch (error) {
      $("#composer-error").textContent = error.message;
      return;
    }
  } else if (mode.kind === "edit") {
    try {
      await hooks.edit(mode.message, text);
    } catch (error) {
      $("#composer-error").textContent = error.message;
      return;
    }
  } else hooks.send(text, mode.kind === "reply" ? mode.message.id : null);
  lastTyping.delete(store.openId); // the others stopped showing "typing" when the message came
  if (mode.kind !== "edit") store.drafts.set(store.openId, "");
  textarea().value = "";
  clearError();
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
  renderCount();
  // An edit is not a new message on its way: it keeps no draft and tells nobody "typing".
  if (mode.kind !== "edit") {
    store.drafts.set(store.openId, textarea().value);
    const now = Date.now();
    const last = lastTyping.get(store.openId) || 0;
    if (textarea().value && store.openId && now - last > store.config.typing_interval * 1000) {
      lastTyping.set(store.openId, now);
      store.connection.notify({ type: "typing", conversation_id: store.openId });
    }
  }
  suggest();
}

// The suggestion list for the text before the caret. Emoji data arrives on the first `:`; when it
// does, this runs again so that what was typed meanwhile is completed too.
function suggest() {
  if (document.activeElement !== textarea()) return; // the person moved on before the data came
  const before = textarea().value.slice(0, textarea().selectionStart);
  const finished = before.match(FINISHED_SHORTCODE);
  if (finished && !emojiLoaded()) loadEmoji().then(suggest, emojiUnavailable);
  const known = finished && emojiForCode(finished[1]);
  if (known) {
    // `:tada:` typed out in full becomes 🎉, as in the other chat clients.
    pick({ replace: (text) => text.slice(0, text.length - finished[1].length - 2) + known.emoji });
    return;
  }
  if (mode.kind === "new" && textarea().value.startsWith("/")) {
    loadCommands(store.openId, (id) => id === store.openId && suggest());
  }
  const commands = mode.kind === "new" ? commandSuggestions(store.openId, textarea().value) : null;
  const mention = !commands && before.match(MENTION_AT_CARET);
  const code = !commands && !mention && before.match(SHORTCODE_AT_CARET);
  if (commands) [suggesting, suggestions] = ["Commands", commands.map(commandSuggestion)];
  else if (mention) [suggesting, suggestions] = ["People to mention", mentionSuggestions(mention[1].toLowerCase())];
  else if (code) [suggesting, suggestions] = ["Emoji", emojiSuggestions(code[1].toLowerCase())];
  else suggestions = [];
  active = 0;
  renderMentions();
}

function mentionSuggestions(prefix) {
  const members = (store.members.get(store.openId) || []).map((m) => m.user).filter((u) => u.id !== store.me.id);
  const entry = store.conversations.get(store.openId);
  const everyone = entry && entry.conversation.kind !== "direct" ? [{ id: 0, username: "all", display_name: "Everyone here" }] : [];
  return [...members, ...everyone]
    .filter((u) => u.username.toLowerCase().startsWith(prefix) || (u.display_name || "").toLowerCase().startsWith(prefix))
    .slice(0, 8)
    .map((user) => ({
      label: [h("strong", { text: `@${user.username}` }), user.display_name ? ` ${user.display_name}` : ""],
      replace: (text) => text.replace(/@([A-Za-z0-9_.-]{0,32})$/, `@${user.username} `),
    }));
}

function commandSuggestion(command) {
  return { label: commandOption(command), replace: () => `/${command.name} ` };
}

// Completion goes on without emoji; the picker's button says why when it is opened.
function emojiUnavailable(error) {
  console.warn("Emoji completion is unavailable:", error);
}

function emojiSuggestions(prefix) {
  if (!emojiLoaded()) {
    loadEmoji().then(suggest, emojiUnavailable);
    return [];
  }
  return shortcodeMatches(prefix).map(({ code, item }) => ({
    label: [h("span", { class: "emoji-glyph", "aria-hidden": "true", text: item.emoji }), ` :${code}:`],
    replace: (text) => text.slice(0, text.length - prefix.length - 1) + item.emoji,
  }));
}

function renderMentions() {
  const list = $("#mention-list");
  list.hidden = suggestions.length === 0;
  list.setAttribute("aria-label", suggesting);
  list.replaceChildren(
    ...suggestions.map((suggestion, i) =>
      h(
        "li",
        {
          id: `mention-${i}`,
          role: "option",
          "aria-selected": String(i === active),
          onmousedown: (event) => {
            event.preventDefault();
            pick(suggestion);
          },
        },
        suggestion.label,
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

function pick(suggestion) {
  const box = textarea();
  const caret = box.selectionStart;
  const before = suggestion.replace(box.value.slice(0, caret));
  box.value = before + box.value.slice(caret);
  box.selectionStart = box.selectionEnd = before.length;
  closeMentions();
  afterEdit(box);
}

// After the client itself changed the text: keep the draft and the counter, and the focus.
function afterEdit(box) {
  if (mode.kind !== "edit") store.drafts.set(store.openId, box.value);
  autosize();
  renderCount();
  box.focus();
}

// Where the browser sizes a textarea to its text (CSS field-sizing), nothing is done here; elsewhere
// the height is measured, which forces a layout of the whole page.
const SIZED_BY_CSS = window.CSS && CSS.supports("field-sizing", "content");

function autosize() {
  if (SIZED_BY_CSS) return;
  const box = textarea();
  box.style.height = "auto";
  box.style.height = `${Math.min(box.scrollHeight, 200)}px`;
}
