// A conversation's details: name and topic, members and their roles, adding and removing people,
// leaving and archiving. Every button is one REST call; the socket's events bring the changes to
// the other members (and back here).

import { api, get, post, query } from "./api.js";
import { avatar } from "./avatar.js";
import { $, h, showError } from "./dom.js";
import { canModerate, loadMembers, store, userName } from "./state.js";

let hooks = {}; // refresh(), left(id), changed()
let timer = null;

export function setupDetails(h) {
  hooks = h;
  $("#details-button").addEventListener("click", openDetails);
  $("#details-form").addEventListener("submit", (event) => {
    event.preventDefault();
    saveNames();
  });
  $("#details-add-q").addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(findPeople, 250);
  });
  $("#details-leave").addEventListener("click", leave);
  $("#details-archive").addEventListener("click", archive);
}

function entry() {
  return store.conversations.get(store.openId);
}

async function openDetails() {
  const dialog = $("#details-dialog");
  showError(dialog, null);
  const current = entry();
  if (!current) return;
  const c = current.conversation;
  const direct = c.kind === "direct";
  const moderator = canModerate(current);
  $("#details-form").hidden = direct || !moderator || c.archived;
  $("#details-title-input").value = c.title || "";
  $("#details-topic").value = c.topic || "";
  $("#details-add").hidden = direct || !moderator || c.archived;
  $("#details-add-q").value = "";
  $("#details-add-results").replaceChildren();
  $("#details-leave").hidden = direct;
  $("#details-archive").hidden = direct || current.role !== "owner" || c.archived;
  if (!dialog.open) dialog.showModal();
  await renderMembers(true);
}

async function renderMembers(fresh = false) {
  const current = entry();
  if (!current) return;
  const dialog = $("#details-dialog");
  try {
    const members = await loadMembers(current.id, fresh);
    const owner = current.role === "owner";
    const moderator = canModerate(current) && !current.conversation.archived;
    const direct = current.conversation.kind === "direct";
    $("#details-members").replaceChildren(
      ...members.map((m) => {
        const me = m.user.id === store.me.id;
        const name = me ? store.me.display_name || store.me.username : userName(m.user.id);
        return h(
          "li",
          { class: "member" },
          avatar(m.user.id, { variant: "inline" }),
          h("span", { class: "result-title", text: me ? `${name} (you)` : name }),
          h("span", { class: "role", text: m.role }),
          owner && !me && !direct && m.role !== "owner"
            ? h("button", {
                type: "button",
                text: m.role === "admin" ? "Make member" : "Make admin",
                "aria-label": `${m.role === "admin" ? "Make member" : "Make admin"}: ${name}`,
                onclick: () => change(() => api("PATCH", `conversations/${current.id}/members/${m.user.id}`, { role: m.role === "admin" ? "member" : "admin" })),
              })
            : null,
          moderator && !me && !direct && m.role !== "owner"
            ? h("button", {
                type: "button",
                text: "Remove",
                "aria-label": `Remove ${name}`,
                onclick: () => change(() => api("DELETE", `conversations/${current.id}/members/${m.user.id}`)),
              })
            : null,
        );
      }),
    );
  } catch (error) {
    showError(dialog, error);
  }
}

async function change(call) {
  const dialog = $("#details-dialog");
  showError(dialog, null);
  try {
    await call();
    await renderMembers(true);
  } catch (error) {
    showError(dialog, error);
  }
}

async function saveNames() {
  const current = entry();
  const dialog = $("#details-dialog");
  showError(dialog, null);
  try {
    const conversation = await api("PATCH", `conversations/${current.id}`, {
      title: $("#details-title-input").value.trim(),
      topic: $("#details-topic").value.trim(),
    });
    current.conversation = conversation;
    hooks.changed();
    $("#details-saved").hidden = false;
    setTimeout(() => ($("#details-saved").hidden = true), 3000);
  } catch (error) {
    showError(dialog, error);
  }
}

async function findPeople() {
  const q = $("#details-add-q").value.trim();
  const list = $("#details-add-results");
  if (!q) return list.replaceChildren();
  const current = entry();
  try {
    const [{ results }, members] = await Promise.all([get(`users?${query({ q, limit: 8 })}`), loadMembers(current.id)]);
    const inside = new Set(members.map((m) => m.user.id));
    const people = results.filter((u) => !inside.has(u.id));
    list.replaceChildren(
      ...(people.length
        ? people.map((u) =>
            h(
              "li",
              { class: "member" },
              h("span", { class: "result-title", text: u.display_name || u.username }),
              h("span", { class: "role", text: `@${u.username}` }),
              h("button", {
                type: "button",
                text: "Add",
                "aria-label": `Add ${u.display_name || u.username}`,
                onclick: () =>
                  change(async () => {
                    await post(`conversations/${current.id}/members`, { user_id: u.id });
                    $("#details-add-q").value = "";
                    list.replaceChildren();
                  }),
              }),
            ),
          )
        : [h("li", { class: "empty", text: `Nobody else is called “${q}”.` })]),
    );
  } catch (error) {
    showError($("#details-dialog"), error);
  }
}

async function leave() {
  const current = entry();
  const dialog = $("#details-dialog");
  const button = $("#details-leave");
  if (button.dataset.confirm !== "yes") {
    button.dataset.confirm = "yes";
    button.textContent = `Really leave ${current.conversation.title}?`;
    return;
  }
  delete button.dataset.confirm;
  button.textContent = "Leave";
  try {
    await post(`conversations/${current.id}/leave`);
    dialog.close();
    hooks.left(current.id);
  } catch (error) {
    showError(dialog, error);
  }
}

async function archive() {
  const current = entry();
  const dialog = $("#details-dialog");
  try {
    current.conversation = await post(`conversations/${current.id}/archive`);
    dialog.close();
    hooks.changed();
  } catch (error) {
    showError(dialog, error);
  }
}
