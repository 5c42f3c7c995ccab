// "Export my data" in the profile dialog: asks the server for a zip of everything of mine, shows
// its progress while a worker builds it, then offers the link (mine only, for a limited time).

import { get, post } from "./api.js";
import { $ } from "./dom.js";

const POLL_MS = 1500;
let timer = null;

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
    const until = new Date(exported.expires_at).toLocaleString();
    status.textContent = `Ready. The link works until ${until}.`;
    link.href = exported.download_url;
    link.hidden = false;
  } else if (exported.status === "failed") {
    status.textContent = "The export could not be prepared. Try again.";
  } else {
    status.textContent = "Your last export has expired.";
  }
}

async function poll(id) {
  clearTimeout(timer);
  try {
    show(await get(`me/exports/${id}`));
  } catch (error) {
    $("#data-export-status").textContent = error.message;
  }
}

async function refresh() {
  clearTimeout(timer);
  try {
    const [latest] = await get("me/exports");
    show(latest);
  } catch (error) {
    $("#data-export-status").textContent = error.message;
  }
}

export function setupDataExport() {
  $("#data-export-button").addEventListener("click", async () => {
    clearTimeout(timer);
    try {
      show(await post("me/exports"));
    } catch (error) {
      $("#data-export-status").textContent = error.message;
    }
  });
  $("#me-button").addEventListener("click", refresh);
  $("#profile-dialog").addEventListener("close", () => clearTimeout(timer));
}
