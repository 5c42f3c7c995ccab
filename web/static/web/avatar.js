// A person's picture where people are shown (messages, threads, members, the header, DMs, the
// profile), or their initials on a colour of their own: without a picture, and when the picture
// fails to load. Built from attributes and text nodes only.

import { h } from "./dom.js";
import { store } from "./state.js";

function profileOf(userId) {
  return store.users.get(userId) || (store.me && store.me.id === userId ? store.me : null);
}

export function initials(userId) {
  const user = profileOf(userId);
  const name = (user && (user.display_name || user.username)) || "?";
  const words = name.trim().split(/\s+/).filter(Boolean);
  const letters = words.length > 1 ? words[0][0] + words[1][0] : name.slice(0, 2);
  return letters.toUpperCase();
}

// Only the server's own pictures (a versioned path on this site): the page's CSP loads no other
// image, and an address someone typed would tell its owner who looked.
export function pictureUrl(userId, size = 64) {
  const user = profileOf(userId);
  const url = user && user.avatar_url;
  return typeof url === "string" && url.startsWith("/api/") ? `${url}&size=${size}` : null;
}

// `variant`: "" in the message log (placed beside the text), "inline" in lists and headers,
// "large" in the profile. Screen readers get the name from what is next to it.
export function avatar(userId, { variant = "", size = 64 } = {}) {
  const span = h("span", {
    class: `avatar${variant ? ` ${variant}` : ""} c${Math.abs(Number(userId) || 0) % 8}`,
    "aria-hidden": "true",
    text: initials(userId),
  });
  const src = pictureUrl(userId, size);
  if (src) {
    const img = h("img", { src, alt: "", loading: "lazy", decoding: "async", width: size, height: size });
    img.addEventListener("error", () => img.remove(), { once: true });
    span.append(img);
  }
  return span;
}
