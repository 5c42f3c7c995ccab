// The first run: someone with no conversation yet is offered the public channels to join and a way
// to find people to message, instead of an empty screen.

import { get, post, query } from "./api.js";
import { $, h } from "./dom.js";
import { store } from "./state.js";

let hooks = {}; // refresh(), open(id), message(user id)
let timer = null;

export function setupWelcome(h) {
  hooks = h;
  $("#welcome-people-q").addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(findPeople, 250);
  });
  $("#welcome-channels-retry").addEventListener("click", loadChannels);
}

export function renderWelcome() {
  const show = store.conversations.size === 0 && !store.openId;
  const section = $("#welcome");
  const was = !section.hidden;
  section.hidden = !show;
  document.body.classList.toggle("first-run", show);
  $("#messages").hidden = show;
  if (!show || was) return;
  $("#welcome-title").textContent = `Welcome, ${store.me.display_name || store.me.username}!`;
  loadChannels();
}

async function loadChannels() {
  const list = $("#welcome-channels");
  const failed = $("#welcome-channels-error");
  failed.hidden = true;
  try {
    const { results } = await get(`channels?${query({ limit: 8 })}`);
    list.replaceChildren(
      ...(results.length
        ? results.map((c) =>
            h(
              "li",
              { class: "channel" },
              h("span", { class: "result-title", text: `#${c.title}` }),
              h("span", { class: "result-text", text: c.topic || "" }),
              h("button", { type: "button", text: "Join", "aria-label": `Join #${c.title}`, onclick: () => join(c.id) }),
            ),
          )
        : [h("li", { class: "empty", text: "No public channel yet: start one with “New”." })]),
    );
  } catch (error) {
    failed.hidden = false;
    $("[data-text]", failed).textContent = error.message;
  }
}

async function join(id) {
  try {
    await post(`conversations/${id}/join`);
    await hooks.refresh();
    hooks.open(id);
  } catch (error) {
    $("#welcome-channels-error").hidden = false;
    $("#welcome-channels-error [data-text]").textContent = error.message;
  }
}

async function findPeople() {
  const q = $("#welcome-people-q").value.trim();
  const list = $("#welcome-people");
  if (!q) return list.replaceChildren();
  try {
    const { results } = await get(`users?${query({ q, limit: 8 })}`);
    list.replaceChildren(
      ...(results.length
        ? results.map((u) =>
            h(
              "li",
              { class: "channel" },
              h("span", { class: "result-title", text: u.display_name || u.username }),
              h("span", { class: "result-text", text: `@${u.username}` }),
              h("button", {
                type: "button",
                text: "Message",
                "aria-label": `Message ${u.display_name || u.username}`,
                onclick: () => hooks.message(u.id),
              }),
            ),
          )
        : [h("li", { class: "empty", text: `Nobody is called “${q}”.` })]),
    );
  } catch (error) {
    list.replaceChildren(h("li", { class: "form-error", text: error.message }));
  }
}
