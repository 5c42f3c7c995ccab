// "Export my data" in the profile dialog: asks the server for a zip of everything of mine, shows
// its progress while a worker builds it, then offers the link (mine only, for a limited time).

import { get, post } from "./api.js";
import { $ } from "./dom.js";
import { fullTime } from "./render.js";

const POLL_MS = 1500;
let timer = null;
// Each request takes a number; an answer shows only if no newer request began meanwhile (the dialog's
// first load, slow on a busy server, must not paint "nothing exported" over a just-started export).
let latest = 0;

async function load(request) {
  const mine = (latest += 1);
  clearTimeout(timer);
  try {
    const exported = await request();
    if (mine === latest) show(exported);
  } catch (error) {
    if (mine === latest) $("#data-export-status").textContent = error.message;
  }
}

function show(exported) {
  const status = $("#data-export-status");
  const link = $("#data-export-link");
  const button = $("#data-export-button");
  link.hidden = true;
  button.disabled = false;
  if (!exported) {
    status.textContent = "";
    return;
  }
  if (exported.status === "pending" || exported.status === "running") {
    status.textContent = `Preparing your data… ${exported.progress}%`;
    button.disabled = true;
    timer = setTimeout(() => poll(exported.id), POLL_MS);
  } else if (exported.status === "ready") {
    const until = fullTime(exported.expires_at);
    status.textContent = `Ready. The link works until ${until}.`;
    link.href = exported.download_url;
    link.hidden = false;
  } else if (exported.status === "failed") {
    status.textContent = "The export could not be prepared. Try again.";
  } else {
    status.textContent = "Your last export has expired.";
  }
}

function poll(id) {
  return load(() => get(`me/exports/${id}`));
}

function refresh() {
  return load(async () => (await get("me/exports"))[0]);
}

export function setupDataExport() {
  $("#data-export-button").addEventListener("click", () => load(() => post("me/exports")));
  $("#me-button").addEventListener("click", refresh);
  $("#profile-dialog").addEventListener("close", () => clearTimeout(timer));
}
