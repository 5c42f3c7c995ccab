// The profile dialog's picture: shown on every profile; on mine, "Upload picture" (the server
// crops it square) and "Remove picture". A refused file says why, in the dialog.

import { api, get } from "./api.js";
import { avatar, pictureUrl } from "./avatar.js";
import { $ } from "./dom.js";
import { remember, store } from "./state.js";

let onChange = () => {};

export function setupPicture(changed) {
  onChange = changed;
  $("#picture-file").addEventListener("change", (event) => {
    const [file] = event.target.files;
    if (file) upload(file);
  });
  $("#picture-remove").addEventListener("click", remove);
}

// Drawn when a profile opens and after each change: the preview of what everyone sees.
export function showPicture(userId) {
  $("#profile-picture").replaceChildren(avatar(userId, { variant: "large", size: 256 }));
  if (userId === store.me.id) $("#picture-remove").hidden = !pictureUrl(userId);
}

export function clearPictureMessages() {
  say("", "");
}

function say(status, error) {
  $("#picture-status").textContent = status;
  $("#picture-error").textContent = error;
}

async function upload(file) {
  const body = new FormData();
  body.append("file", file);
  say("Uploading your picture…", "");
  try {
    changed(await api("PUT", "me/avatar", body));
    say("Your picture is updated.", "");
  } catch (error) {
    say("", `${file.name} was not used: ${error.message}`);
  } finally {
    $("#picture-file").value = "";
  }
}

async function remove() {
  try {
    await api("DELETE", "me/avatar");
    changed(await get("me"));
    say("Your picture is removed.", "");
    $("#picture-file").focus(); // the button it was on is gone
  } catch (error) {
    say("", error.message);
  }
}

function changed(me) {
  store.me = me;
  remember(me);
  showPicture(me.id);
  onChange();
}
