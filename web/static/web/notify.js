// Browser notifications and their settings. Permission is asked only when the person presses
// "Turn on" in the Notifications dialog, never on page load. The push itself is shown by the
// service worker (/sw.js); a click there opens the conversation here.

import { api, get, post } from "./api.js";
import { $, showError } from "./dom.js";

let hooks = {}; // open(url)

// Chromium drops a notification from the site's list (what getNotifications() answers, and so what a
// later read can close) when a getNotifications() call overlaps its showNotification(): the call
// forgets whatever was not on display yet when it began. So this tab shows and looks up its
// notifications one at a time.
let turn = Promise.resolve();
function inTurn(task) {
  const done = turn.then(task);
  turn = done.catch(() => {});
  return done;
}

function urlKey(base64) {
  const padded = (base64 + "===".slice((base64.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
  return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
}

export function pushSupported() {
  return "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
}

async function registration() {
  return navigator.serviceWorker.register("/sw.js", { scope: "/" });
}

export async function enablePush() {
  if (!pushSupported()) throw new Error("This browser cannot show notifications.");
  const permission = await Notification.requestPermission();
  if (permission !== "granted") throw new Error("Notifications are blocked for this site in the browser's settings.");
  const reg = await registration();
  await navigator.serviceWorker.ready;
  const { public_key: key } = await get("notifications/webpush-key");
  let subscription = await reg.pushManager.getSubscription();
  if (!subscription) {
    subscription = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: urlKey(key) });
  }
  await post("devices", { kind: "webpush", subscription: subscription.toJSON() });
  return subscription;
}

// A message this tab received for a conversation it is not showing: the tab shows the notification
// itself when the server's rules want one (the same as a push's: levels, mutes, quiet hours). No push
// service is needed for that, so notifications work on the embedded default too; the push's tag
// keeps one notification per conversation when a push comes as well.
export async function alertLocally(message) {
  if (!pushSupported() || Notification.permission !== "granted") return;
  try {
    const alert = await get(`conversations/${message.conversation_id}/messages/${message.id}/alert`);
    if (!alert.notify) return;
    await inTurn(async () => {
      const reg = (await navigator.serviceWorker.getRegistration("/")) || (await registration());
      await navigator.serviceWorker.ready;
      await reg.showNotification(alert.title, {
        body: alert.body,
        tag: `conversation-${message.conversation_id}`,
        renotify: true,
        data: { url: `/c/${message.conversation_id}`, conversation_id: message.conversation_id },
      });
    });
  } catch (error) {
    // Nothing the person could do about it here; the message itself is in the list.
    console.warn("A notification could not be shown:", error);
  }
}

// A conversation read here: its notification on this device goes (the others' go by their own reads).
export async function withdraw(conversationId) {
  if (!pushSupported() || Notification.permission !== "granted") return;
  await inTurn(async () => {
    const reg = await navigator.serviceWorker.getRegistration("/");
    if (!reg) return;
    for (const n of await reg.getNotifications({ tag: `conversation-${conversationId}` })) n.close();
  });
}

function pushStatus() {
  const status = $("#notify-push-status");
  const button = $("#notify-push-on");
  if (!pushSupported()) {
    status.textContent = "This browser cannot show notifications.";
    button.hidden = true;
  } else if (Notification.permission === "granted") {
    status.textContent = "Browser notifications are on for this device.";
    button.textContent = "Register this device again";
  } else if (Notification.permission === "denied") {
    status.textContent = "Notifications are blocked for this site in the browser's settings.";
    button.hidden = true;
  } else {
    status.textContent = "Browser notifications are off for this device.";
    button.textContent = "Turn on";
  }
}

async function loadPreferences() {
  const form = $("#notify-form");
  const prefs = await get("notifications/preferences");
  form.elements.level.value = prefs.level;
  form.elements.push_shows_text.checked = prefs.push_shows_text;
  form.elements.email.checked = (prefs.channels.direct || []).includes("email");
  form.elements.dnd_start.value = prefs.dnd_start || "";
  form.elements.dnd_end.value = prefs.dnd_end || "";
  form.elements.keywords.value = prefs.keywords.join(", ");
  form.dataset.channels = JSON.stringify(prefs.channels);
}

async function savePreferences() {
  const form = $("#notify-form");
  const channels = JSON.parse(form.dataset.channels || "{}");
  const email = form.elements.email.checked;
  for (const kind of ["direct", "mention"]) {
    const chosen = (channels[kind] || []).filter((c) => c !== "email");
    channels[kind] = email ? [...chosen, "email"] : chosen;
  }
  const start = form.elements.dnd_start.value;
  const end = form.elements.dnd_end.value;
  const body = {
    level: form.elements.level.value,
    push_shows_text: form.elements.push_shows_text.checked,
    channels,
    keywords: form.elements.keywords.value
      .split(",")
      .map((k) => k.trim())
      .filter(Boolean),
    dnd_start: start && end ? start : null,
    dnd_end: start && end ? end : null,
    time_zone: Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC",
  };
  await api("PATCH", "notifications/preferences", body);
}

export function setupNotifications(h) {
  hooks = h;
  const dialog = $("#notify-dialog");
  $("#notify-button").addEventListener("click", async () => {
    showError(dialog, null);
    $("#notify-saved").hidden = true;
    pushStatus();
    dialog.showModal();
    // The fields stay disabled until they hold the saved values, so nothing typed is overwritten.
    $("#notify-fields").disabled = true;
    try {
      await loadPreferences();
      $("#notify-fields").disabled = false;
    } catch (error) {
      showError(dialog, error);
    }
  });
  $("#notify-push-on").addEventListener("click", async () => {
    showError(dialog, null);
    try {
      await enablePush();
    } catch (error) {
      showError(dialog, error);
    }
    pushStatus();
  });
  $("#notify-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    showError(dialog, null);
    try {
      await savePreferences();
      $("#notify-saved").hidden = false;
    } catch (error) {
      showError(dialog, error);
    }
  });
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.addEventListener("message", (event) => {
      const data = event.data || {};
      if (data.type === "open" && typeof data.url === "string" && data.url.startsWith("/")) hooks.open(data.url);
    });
    navigator.serviceWorker.startMessages(); // a listener added this way waits for this to hear anything
  }
}
