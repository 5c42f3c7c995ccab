// The signed-in user's two-factor settings: turn the authenticator app on (QR code or typed key,
// then a code to prove it works, then the recovery codes, shown once), or off (password and code);
// add and remove passkeys.

import { get, post } from "./api.js";
import { $, h, showError } from "./dom.js";
import { createPasskey } from "./passkeys.js";
import { fullTime } from "./render.js";

let removing = null; // the passkey whose removal waits for the password

const dialog = () => $("#security-dialog");

export function setupSecurity() {
  $("#security-button").addEventListener("click", () => {
    $("#profile-dialog").close();
    openSecurity();
  });
  $("#security-enrol").addEventListener("click", startEnrolment);
  $("#security-confirm-form").addEventListener("submit", (event) => {
    event.preventDefault();
    confirmEnrolment();
  });
  $("#security-disable-form").addEventListener("submit", (event) => {
    event.preventDefault();
    proveAndChange(event.submitter ? event.submitter.value : "disable");
  });
  $("#security-passkey-form").addEventListener("submit", (event) => {
    event.preventDefault();
    addPasskey();
  });
  $("#security-passkey-remove-form").addEventListener("submit", (event) => {
    event.preventDefault();
    removePasskey();
  });
}

async function openSecurity() {
  showError(dialog(), null);
  $("#security-codes").hidden = true;
  if (!dialog().open) dialog().showModal();
  await showStatus();
}

async function showStatus() {
  const enrol = $("#security-enrol");
  $("#security-confirm-form").hidden = true;
  $("#security-passkey-remove-form").hidden = true;
  try {
    const [state, { results }] = await Promise.all([get("me/two-factor"), get("me/passkeys")]);
    let text = state.enabled
      ? `On. ${state.recovery_codes_left} recovery codes left.`
      : "Off: signing in needs only your password.";
    if (state.required && !state.enabled) text += " Staff need it to use the admin.";
    $("#security-status").textContent = text;
    enrol.hidden = state.authenticator_app;
    $("#security-disable-form").hidden = !state.enabled;
    $("#security-disable-form [value=disable]").hidden = !state.authenticator_app;
    $("#security-passkeys").replaceChildren(
      ...(results.length ? results.map(passkeyItem) : [h("li", { class: "empty", text: "No passkey yet." })]),
    );
  } catch (error) {
    showError(dialog(), error);
  }
}

async function startEnrolment() {
  showError(dialog(), null);
  try {
    const { secret, otpauth_url: url } = await post("me/two-factor/enrol");
    $("#security-secret").textContent = secret;
    await drawQr($("#security-qr"), url);
    $("#security-enrol").hidden = true;
    $("#security-confirm-form").hidden = false;
    $("#security-confirm-code").focus();
  } catch (error) {
    showError(dialog(), error);
  }
}

async function confirmEnrolment() {
  showError(dialog(), null);
  try {
    const { recovery_codes: codes } = await post("me/two-factor/confirm", { code: $("#security-confirm-code").value });
    $("#security-confirm-form").reset();
    $("#security-qr").replaceChildren();
    showCodes(codes);
    await showStatus();
  } catch (error) {
    showError(dialog(), error);
  }
}

async function proveAndChange(action) {
  const form = $("#security-disable-form");
  const data = new FormData(form);
  const proof = { password: data.get("password") || "", code: data.get("code") || "" };
  showError(dialog(), null);
  try {
    if (action === "recovery") showCodes((await post("me/two-factor/recovery-codes", proof)).recovery_codes);
    else {
      await post("me/two-factor/disable", proof);
      $("#security-codes").hidden = true;
    }
    form.reset();
    await showStatus();
  } catch (error) {
    showError(dialog(), error);
  }
}

function passkeyItem(passkey) {
  const used = passkey.last_used_at ? `last used ${fullTime(passkey.last_used_at)}` : "not used yet";
  return h(
    "li",
    { class: "passkey" },
    h("span", { class: "result-title", text: passkey.name }),
    h("span", { class: "result-text", text: used }),
    h("button", {
      type: "button",
      text: "Remove",
      "aria-label": `Remove the passkey ${passkey.name}`,
      onclick: () => {
        removing = passkey;
        $("#security-passkey-remove-form [data-name]").textContent = passkey.name;
        $("#security-passkey-remove-form").hidden = false;
        $("#security-passkey-password").focus();
      },
    }),
  );
}

async function addPasskey() {
  showError(dialog(), null);
  try {
    const credential = await createPasskey(await post("me/passkeys/options"));
    const name = $("#security-passkey-name").value.trim();
    const { recovery_codes: codes } = await post("me/passkeys", { name, credential });
    $("#security-passkey-form").reset();
    if (codes.length) showCodes(codes);
    await showStatus();
  } catch (error) {
    showError(dialog(), error);
  }
}

async function removePasskey() {
  showError(dialog(), null);
  try {
    await post(`me/passkeys/${removing.id}/remove`, { password: $("#security-passkey-password").value });
    $("#security-passkey-remove-form").reset();
    removing = null;
    await showStatus();
  } catch (error) {
    showError(dialog(), error);
  }
}

function showCodes(codes) {
  $("#security-codes-list").replaceChildren(...codes.map((code) => h("li", {}, h("code", { text: code }))));
  $("#security-codes").hidden = false;
}

// The QR code comes from the qrcode-generator package (npm, copied beside this file by make). It is
// loaded only here, and if it is missing the typed key still works.
async function drawQr(slot, url) {
  slot.replaceChildren();
  let qrcode;
  try {
    ({ qrcode } = await import("./vendor/qrcode.mjs"));
  } catch {
    return;
  }
  const qr = qrcode(0, "M");
  qr.addData(url);
  qr.make();
  const count = qr.getModuleCount();
  const cell = 4;
  const quiet = 4 * cell; // the blank margin scanners need
  const canvas = h("canvas", {
    width: count * cell + 2 * quiet,
    height: count * cell + 2 * quiet,
    role: "img",
    "aria-label": "QR code of the key, for the authenticator app",
  });
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.fillStyle = "#000";
  for (let row = 0; row < count; row += 1)
    for (let col = 0; col < count; col += 1) if (qr.isDark(row, col)) ctx.fillRect(quiet + col * cell, quiet + row * cell, cell, cell);
  slot.append(canvas);
}
