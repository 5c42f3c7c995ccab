// What a message carries besides its text: file cards, image thumbnails (opened in a viewer) and
// link preview cards. Everything is built with text nodes and attributes (dom.js h): a file name or
// a page's OpenGraph title is shown, never parsed as HTML. Images load from our own server only
// (the files app's signed links, and its stored thumbnails of preview images).

import { h } from "./dom.js";
import { safeLink } from "./render.js";

const ICONS = { image: "🖼", pdf: "📄", audio: "🎵", video: "🎬", zip: "🗜", text: "📝" };

export function sizeText(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KB", "MB", "GB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

function icon(type) {
  const [major, minor] = (type || "").split("/");
  return ICONS[minor] || ICONS[major] || "📎";
}

// A path of our own API only: a card's URL comes from the server, but nothing foreign is loaded.
function ours(path) {
  return typeof path === "string" && path.startsWith("/api/") ? path : null;
}

function fileCard(file) {
  return h(
    "a",
    { class: "file-card", href: ours(file.url), download: file.name, title: file.name },
    h("span", { class: "file-icon", "aria-hidden": "true", text: icon(file.content_type) }),
    h("span", { class: "file-name", text: file.name }),
    h("span", { class: "file-size", text: `${sizeText(file.size)} · ${file.content_type}` }),
  );
}

function imageThumb(file, images, index) {
  const src = ours(file.url) ? `${file.url}?variant=small` : null;
  const img = h("img", { src, alt: file.name, width: file.width, height: file.height, loading: "lazy" });
  // Through the CSSOM (which CSP allows, unlike a style attribute); a data: URL of ours only.
  if (typeof file.placeholder === "string" && /^data:image\/jpeg;base64,[A-Za-z0-9+/=]+$/.test(file.placeholder)) {
    img.style.backgroundImage = `url("${file.placeholder}")`;
  }
  return h("button", { type: "button", class: "image-thumb", "aria-label": `Open image ${file.name}`, onclick: () => openViewer(images, index) }, img);
}

function previewCard(card, onRemove) {
  const href = safeLink(card.url);
  const image = ours(card.image);
  return h(
    "div",
    { class: "link-card" },
    image ? h("img", { class: "link-image", src: image, alt: "", loading: "lazy" }) : null,
    h(
      "div",
      { class: "link-body" },
      card.site_name ? h("div", { class: "link-site", text: card.site_name }) : null,
      href ? h("a", { class: "link-title", href, rel: "noopener noreferrer nofollow", target: "_blank", text: card.title || card.url }) : null,
      card.description ? h("div", { class: "link-description", text: card.description }) : null,
    ),
    onRemove ? h("button", { type: "button", class: "link-remove", "aria-label": "Remove link previews", text: "×", onclick: onRemove }) : null,
  );
}

// The parts below a message's text; null when it has none. `onRemovePreviews` is given to the author.
export function messageExtras(m, onRemovePreviews) {
  const files = m.attachments || [];
  const cards = m.previews || [];
  if (!files.length && !cards.length) return null;
  const images = files.filter((f) => f.kind === "image");
  return h(
    "div",
    { class: "extras" },
    images.length ? h("div", { class: "image-row" }, images.map((f, i) => imageThumb(f, images, i))) : null,
    files.filter((f) => f.kind !== "image").map(fileCard),
    cards.map((card) => previewCard(card, onRemovePreviews)),
  );
}

// The viewer: one image at a time, ←/→ between the message's images, Escape (or a click outside) closes.
function openViewer(images, start) {
  const opener = document.activeElement;
  let at = start;
  const img = h("img", { class: "viewer-image", alt: "" });
  const caption = h("div", { class: "viewer-caption" });
  const download = h("a", { class: "viewer-download", text: "Download" });
  const dialog = h(
    "div",
    { class: "viewer", role: "dialog", "aria-modal": "true", "aria-label": "Image viewer", tabindex: "-1" },
    h("button", { type: "button", class: "viewer-close", "aria-label": "Close", text: "×", onclick: () => close() }),
    img,
    h("div", { class: "viewer-bar" }, caption, download),
  );
  function show() {
    const file = images[at];
    img.src = ours(file.url) ? `${file.url}?variant=large` : "";
    img.alt = file.name;
    caption.textContent = images.length > 1 ? `${file.name} (${at + 1} of ${images.length})` : file.name;
    download.href = ours(file.url) || "";
    download.setAttribute("download", file.name);
  }
  function close() {
    dialog.remove();
    if (opener) opener.focus();
  }
  dialog.addEventListener("keydown", (event) => {
    if (event.key === "Escape") close();
    else if (event.key === "ArrowRight" && at < images.length - 1) (at += 1), show();
    else if (event.key === "ArrowLeft" && at > 0) (at -= 1), show();
    else return;
    event.preventDefault();
  });
  dialog.addEventListener("click", (event) => {
    if (event.target === dialog) close();
  });
  show();
  document.body.append(dialog);
  dialog.focus();
}
