// The dialogs: search, new conversation, public channels, profiles (with block), report, pins.
// Native <dialog>: it traps focus, closes on Escape and gives focus back to its opener.

import { api, get, post, query } from "./api.js";
import { $, arrowKeys, h, showError } from "./dom.js";
import { clearPictureMessages, showPicture } from "./picture.js";
import { fullTime, renderText, snippet } from "./render.js";
import { conversationName, ensureUsers, remember, store, userName } from "./state.js";

let hooks = {}; // open(conversation id, {aroundSeq}), refresh(), signOut()

export function setDialogHooks(h) {
  hooks = h;
}

function open(id) {
  const dialog = $(`#${id}`);
  showError(dialog, null);
  if (!dialog.open) dialog.showModal();
  return dialog;
}

function close(id) {
  $(`#${id}`).close();
}

function debounce(fn, ms = 250) {
  let timer;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

function resultsList(list, items, empty) {
  list.replaceChildren(...(items.length ? items : [h("li", { class: "empty", text: empty })]));
}

export function setupDialogs() {
  $("#search-button").addEventListener("click", () => {
    open("search-dialog");
    $("#search-q").focus();
  });
  $("#search-form").addEventListener("submit", (event) => {
    event.preventDefault();
    search($("#search-q").value.trim());
  });
  $("#new-button").addEventListener("click", openNew);
  $("#new-form").addEventListener("change", newKindChanged);
  $("#new-people").addEventListener("input", debounce(() => findPeople($("#new-people").value.trim())));
  $("#new-form").addEventListener("submit", (event) => {
    event.preventDefault();
    createConversation();
  });
  $("#channels-button").addEventListener("click", () => {
    open("channels-dialog");
    $("#channels-q").focus();
    browseChannels("");
  });
  $("#channels-q").addEventListener("input", debounce(() => browseChannels($("#channels-q").value.trim())));
  $("#channels-form").addEventListener("submit", (event) => event.preventDefault());
  $("#me-button").addEventListener("click", () => openProfile(store.me.id));
  $("#profile-form").addEventListener("submit", (event) => {
    event.preventDefault();
    saveProfile();
  });
  $("#logout-button").addEventListener("click", () => {
    close("profile-dialog");
    hooks.signOut();
  });
  $("#report-form").addEventListener("submit", (event) => {
    event.preventDefault();
    sendReport();
  });
  $("#pins-button").addEventListener("click", openPins);
  for (const id of ["search-results", "new-people-results", "channels-results", "pins-results"]) arrowKeys($(`#${id}`), "button");
}

// --- search ---

async function search(q) {
  const dialog = $("#search-dialog");
  if (!q) return;
  try {
    const { results } = await get(`search?${query({ q, limit: 30 })}`);
    await ensureUsers(results.map((m) => m.sender_id));
    resultsList(
      $("#search-results"),
      results.map((m) => messageResult(m, "search-dialog")),
      `Nothing found for “${q}”.`,
    );
  } catch (error) {
    showError(dialog, error);
  }
}

function messageResult(m, dialogId) {
  const entry = store.conversations.get(m.conversation_id);
  return h(
    "li",
    {},
    h(
      "button",
      {
        type: "button",
        class: "result",
        onclick: () => {
          close(dialogId);
          hooks.open(m.conversation_id, { aroundSeq: m.seq });
        },
      },
      h("span", { class: "result-title", text: `${entry ? conversationName(entry) : "Conversation"} · ${userName(m.sender_id)}` }),
      h("time", { datetime: m.created_at, text: fullTime(m.created_at) }),
      h("span", { class: "result-text", text: snippet(m.text, 140) }),
    ),
  );
}

// --- new conversation ---

const picked = new Map();

function newKind() {
  return new FormData($("#new-form")).get("kind");
}

function openNew() {
  picked.clear();
  $("#new-form").reset();
  $("#new-people-results").replaceChildren();
  newKindChanged();
  open("new-dialog");
  $("#new-people").focus();
}

function newKindChanged() {
  const kind = newKind();
  for (const el of document.querySelectorAll("#new-form [data-for]")) el.hidden = !el.dataset.for.split(" ").includes(kind);
  $("#new-people").previousElementSibling.textContent = kind === "direct" ? "Who do you want to write to?" : "Add people";
  renderPicked();
}

async function findPeople(q) {
  const dialog = $("#new-dialog");
  showError(dialog, null);
  if (!q) return $("#new-people-results").replaceChildren();
  try {
    const { results } = await get(`users?${query({ q, limit: 10 })}`);
    results.forEach(remember);
    const direct = newKind() === "direct";
    resultsList(
      $("#new-people-results"),
      results
        .filter((u) => u.id !== store.me.id)
        .map((u) =>
          h(
            "li",
            {},
            h(
              "button",
              {
                type: "button",
                class: "result",
                onclick: () => (direct ? startDirect(u.id) : pick(u)),
              },
              h("span", { class: "result-title", text: u.display_name || u.username }),
              h("span", { class: "result-text", text: `@${u.username}${direct ? "" : picked.has(u.id) ? " · added" : " · add"}` }),
            ),
          ),
        ),
      "Nobody found.",
    );
  } catch (error) {
    showError(dialog, error);
  }
}

function pick(user) {
  if (picked.has(user.id)) picked.delete(user.id);
  else picked.set(user.id, user);
  renderPicked();
  findPeople($("#new-people").value.trim());
}

function renderPicked() {
  const chips = [...picked.values()].map((u) =>
    h("button", { type: "button", class: "chip", "aria-label": `Remove ${u.username}`, text: `@${u.username} ×`, onclick: () => pick(u) }),
  );
  $("#new-members").replaceChildren(...(chips.length ? chips : ["nobody yet"]));
}

export async function startDirect(userId) {
  try {
    const conversation = await post("conversations/direct", { user_id: userId });
    close("new-dialog");
    close("profile-dialog");
    await hooks.refresh();
    hooks.open(conversation.id);
  } catch (error) {
    showError($("#new-dialog").open ? $("#new-dialog") : $("#profile-dialog"), error);
  }
}

async function createConversation() {
  const form = $("#new-form");
  const data = new FormData(form);
  const kind = newKind();
  try {
    const conversation = await post("conversations", {
      kind,
      title: (data.get("title") || "").trim(),
      topic: (data.get("topic") || "").trim(),
      is_public: kind === "channel" && data.get("is_public") === "on",
      member_ids: [...picked.keys()],
    });
    close("new-dialog");
    await hooks.refresh();
    hooks.open(conversation.id);
  } catch (error) {
    showError($("#new-dialog"), error);
  }
}

// --- public channels ---

async function browseChannels(q) {
  const dialog = $("#channels-dialog");
  try {
    const { results } = await get(`channels?${query({ q, limit: 50 })}`);
    resultsList(
      $("#channels-results"),
      results.map((c) => {
        const member = store.conversations.has(c.id);
        return h(
          "li",
          { class: "channel" },
          h("span", { class: "result-title", text: `#${c.title}` }),
          h("span", { class: "result-text", text: c.topic || "" }),
          h("button", {
            type: "button",
            text: member ? "Open" : "Join",
            "aria-label": `${member ? "Open" : "Join"} #${c.title}`,
            onclick: () => joinChannel(c.id, member),
          }),
        );
      }),
      q ? `No public channel matches “${q}”.` : "There are no public channels yet.",
    );
  } catch (error) {
    showError(dialog, error);
  }
}

async function joinChannel(id, member) {
  try {
    if (!member) await post(`conversations/${id}/join`);
    close("channels-dialog");
    await hooks.refresh();
    hooks.open(id);
  } catch (error) {
    showError($("#channels-dialog"), error);
  }
}

// --- profiles and blocks ---

export async function openProfile(userId) {
  const dialog = open("profile-dialog");
  const mine = userId === store.me.id;
  $("#profile-form").hidden = !mine;
  $("#profile-actions").hidden = mine;
  $("#profile-facts").replaceChildren();
  clearPictureMessages();
  // The fields stay disabled until they hold the saved values: what is typed sooner would be overwritten.
  $("#profile-fields").disabled = true;
  try {
    const user = mine ? await get("me") : await get(`users/${userId}`);
    remember(user);
    showPicture(user.id);
    if (mine) {
      store.me = user;
      $("#profile-display").value = user.display_name || "";
      $("#profile-status").value = user.status_text || "";
      $("#profile-bio").value = user.bio || "";
      $("#profile-fields").disabled = false;
    }
    const facts = [
      ["Name", user.display_name || user.username],
      ["Username", `@${user.username}`],
      ["Status", user.status_text],
      ["About", user.bio],
      ["Presence", mine ? null : store.presence.get(user.id) || "offline"],
    ].filter(([, value]) => value);
    $("#profile-facts").replaceChildren(...facts.flatMap(([term, value]) => [h("dt", { text: term }), h("dd", { text: value })]));
    if (!mine) {
      const { results } = await get("blocks");
      const blocked = results.some((b) => b.user.id === userId);
      const blockButton = $('#profile-actions [data-action="block"]');
      blockButton.textContent = blocked ? `Unblock ${user.username}` : `Block ${user.username}`;
      blockButton.onclick = () => setBlocked(userId, !blocked);
      $('#profile-actions [data-action="message"]').onclick = () => startDirect(userId);
      $('#profile-actions [data-action="message"]').hidden = blocked;
    }
  } catch (error) {
    showError(dialog, error);
  }
}

async function setBlocked(userId, blocked) {
  try {
    await api(blocked ? "PUT" : "DELETE", `blocks/${userId}`);
    await openProfile(userId);
    $('#profile-actions [data-action="block"]').focus();
    hooks.blocked(userId, blocked);
  } catch (error) {
    showError($("#profile-dialog"), error);
  }
}

async function saveProfile() {
  const data = new FormData($("#profile-form"));
  try {
    store.me = await api("PATCH", "me", {
      display_name: data.get("display_name").trim(),
      status_text: data.get("status_text").trim(),
      bio: data.get("bio").trim(),
    });
    remember(store.me);
    hooks.meChanged();
    close("profile-dialog");
  } catch (error) {
    showError($("#profile-dialog"), error);
  }
}

// --- reports ---

let reported = null;

export function openReport(message) {
  reported = message;
  $("#report-form").reset();
  $("#report-form").hidden = false;
  $("#report-done").hidden = true;
  $("#report-quote").textContent = `${userName(message.sender_id)}: ${snippet(message.text, 200)}`;
  open("report-dialog");
  $("#report-reason").focus();
}

async function sendReport() {
  const dialog = $("#report-dialog");
  try {
    await post(`conversations/${reported.conversation_id}/messages/${reported.id}/report`, {
      reason: $("#report-reason").value.trim(),
    });
    $("#report-form").hidden = true;
    $("#report-done").hidden = false;
  } catch (error) {
    showError(dialog, error);
  }
}

// --- edit history ---

export async function openHistory(message) {
  const dialog = open("history-dialog");
  const list = $("#history-results");
  list.replaceChildren(h("li", { class: "empty", text: "Loading…" }));
  try {
    const { results } = await get(`conversations/${message.conversation_id}/messages/${message.id}/history`);
    const version = (label, when, text) =>
      h(
        "li",
        { class: "version" },
        h("span", { class: "result-title", text: label }),
        when ? h("time", { datetime: when, text: fullTime(when) }) : null,
        h("div", { class: "text" }, renderText(text)),
      );
    list.replaceChildren(
      version("Now", message.edited_at, message.text),
      ...[...results]
        .sort((a, b) => b.replaced_at.localeCompare(a.replaced_at))
        .map((edit) => version("Before", edit.replaced_at, edit.text)),
    );
  } catch (error) {
    list.replaceChildren();
    showError(dialog, error);
  }
}

// --- pins ---

async function openPins() {
  const dialog = open("pins-dialog");
  const id = store.openId;
  try {
    const { results } = await get(`conversations/${id}/pins`);
    resultsList($("#pins-results"), results.map((m) => messageResult(m, "pins-dialog")), "Nothing is pinned here.");
  } catch (error) {
    showError(dialog, error);
  }
}

