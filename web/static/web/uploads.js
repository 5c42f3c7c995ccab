// Sending files: the attach button, drag and drop onto the conversation, and pasting an image.
// Each file is uploaded with a progress bar and a Cancel button, then sent as a message of its own
// (attachment_ids); a refused file shows the server's reason. The server decides what a file is.

import { csrfToken, post } from "./api.js";
import { $, h, randomId } from "./dom.js";
import { store } from "./state.js";

export function setupUploads() {
  const form = $("#composer");
  const picker = h("input", { type: "file", multiple: true, hidden: true, id: "attach-input" });
  picker.addEventListener("change", () => {
    sendFiles([...picker.files]);
    picker.value = "";
  });
  const button = h("button", { type: "button", class: "attach", "aria-label": "Attach files", title: "Attach files", text: "📎", onclick: () => picker.click() });
  // After the message box, beside the emoji button: Tab from the log still lands in the box.
  $("#composer-text", form).after(button, picker);
  form.append(h("ul", { id: "upload-list", class: "upload-list", "aria-label": "Uploads" }));

  const pane = form.closest("main") || document.body;
  pane.addEventListener("dragover", (event) => {
    if (event.dataTransfer && [...event.dataTransfer.types].includes("Files")) event.preventDefault();
  });
  pane.addEventListener("drop", (event) => {
    if (!event.dataTransfer || !event.dataTransfer.files.length) return;
    event.preventDefault();
    sendFiles([...event.dataTransfer.files]);
  });
  $("#composer-text").addEventListener("paste", (event) => {
    const files = [...(event.clipboardData ? event.clipboardData.files : [])];
    if (!files.length) return;
    event.preventDefault();
    sendFiles(files.map((f) => (f.name && f.name !== "image.png" ? f : new File([f], `pasted-${Date.now()}.png`, { type: f.type }))));
  });
}

function sendFiles(files) {
  const conversationId = store.openId;
  if (!conversationId) return;
  for (const file of files) upload(conversationId, file);
}

function upload(conversationId, file) {
  const bar = h("progress", { max: "100", value: "0", "aria-label": `Uploading ${file.name}` });
  const xhr = new XMLHttpRequest();
  const row = h(
    "li",
    { class: "upload" },
    h("span", { class: "upload-name", text: file.name }),
    bar,
    h("button", { type: "button", class: "link", text: "Cancel", onclick: () => xhr.abort() }),
  );
  $("#upload-list").append(row);
  const body = new FormData();
  body.append("file", file, file.name);
  xhr.open("POST", "/api/v1/uploads");
  xhr.setRequestHeader("X-CSRFToken", csrfToken());
  xhr.setRequestHeader("Accept", "application/json");
  xhr.upload.addEventListener("progress", (event) => {
    if (event.lengthComputable) bar.value = Math.round((event.loaded / event.total) * 100);
  });
  xhr.addEventListener("abort", () => row.remove());
  xhr.addEventListener("error", () => refused(row, file, "The upload failed; check your connection and try again."));
  xhr.addEventListener("load", async () => {
    let answer = {};
    try {
      answer = JSON.parse(xhr.responseText);
    } catch {
      // not JSON: a proxy's page; the status says enough
    }
    if (xhr.status !== 201) return refused(row, file, (answer.error && answer.error.message) || `The server refused it (${xhr.status}).`);
    try {
      await post(`conversations/${conversationId}/messages`, { client_id: randomId("f"), text: "", attachment_ids: [answer.id] });
      row.remove();
    } catch (error) {
      refused(row, file, error.message);
    }
  });
  xhr.send(body);
}

function refused(row, file, reason) {
  row.replaceChildren(
    h("span", { class: "upload-error", role: "alert", text: `${file.name} was not sent: ${reason}` }),
    h("button", { type: "button", class: "link", text: "Dismiss", onclick: () => row.remove() }),
  );
}
