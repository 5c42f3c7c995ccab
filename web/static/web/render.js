// Message text -> DOM. The text is never parsed as HTML: the small markdown subset (**bold**,
// *italic* or _italic_, `code`, ``` code blocks ```) and links are recognised in the plain string and
// built from elements and text nodes, so a message can show "<script>" but never run it.

import { h } from "./dom.js";

const FENCE = /```[^\n`]*\n?([\s\S]*?)```/g;
const INLINE = new RegExp(
  [
    "`([^`\\n]+)`", // 1 code
    "\\*\\*([^*\\n]+?)\\*\\*", // 2 bold
    "\\*([^*\\s][^*\\n]*?)\\*", // 3 italic
    "(?<![\\w])_([^_\\n]+?)_(?![\\w])", // 4 italic
    "(https?:\\/\\/[^\\s<>\"]+)", // 5 link
    "(?<![\\w.@])@([A-Za-z0-9_.-]{1,32})", // 6 mention
  ].join("|"),
  "gi",
);
const TRAILING = /[.,;:!?'")\]]+$/;

// Date.prototype.toLocaleString() builds a new ICU formatter on each call, a cost that 50 message
// titles per open paid 50 times; this one is made once.
const fullFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });

// A moment as the reader's locale writes a date and a time, for titles and lists.
export const fullTime = (when) => fullFormat.format(new Date(when));

export function safeLink(raw) {
  let url;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
}

function link(raw) {
  // "see https://x.org/a." ends the sentence, not the URL; a ")" stays when the URL opened one.
  let url = raw;
  let rest = "";
  const tail = url.match(TRAILING);
  if (tail) {
    let cut = tail[0];
    if (cut.startsWith(")") && url.includes("(")) cut = cut.slice(1);
    if (cut) {
      url = url.slice(0, -cut.length);
      rest = cut;
    }
  }
  const href = safeLink(url);
  if (!href) return [raw];
  const a = h("a", { href, rel: "noopener noreferrer nofollow", target: "_blank", text: url });
  return rest ? [a, rest] : [a];
}

function inline(text, depth = 0) {
  const out = [];
  let last = 0;
  for (const match of text.matchAll(INLINE)) {
    if (match.index > last) out.push(text.slice(last, match.index));
    const [whole, code, bold, star, under, url, mention] = match;
    if (code !== undefined) out.push(h("code", { text: code }));
    else if (bold !== undefined) out.push(depth < 2 ? h("strong", {}, inline(bold, depth + 1)) : whole);
    else if (star !== undefined || under !== undefined) {
      out.push(depth < 2 ? h("em", {}, inline(star ?? under, depth + 1)) : whole);
    } else if (url !== undefined) out.push(...link(url));
    else if (mention !== undefined) out.push(h("span", { class: "mention", text: whole }));
    last = match.index + whole.length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

export function renderText(text) {
  const fragment = document.createDocumentFragment();
  let last = 0;
  for (const match of text.matchAll(FENCE)) {
    if (match.index > last) fragment.append(...inline(text.slice(last, match.index)));
    fragment.append(h("pre", {}, h("code", { text: match[1].replace(/\n$/, "") })));
    last = match.index + match[0].length;
  }
  if (last < text.length) fragment.append(...inline(text.slice(last)));
  return fragment;
}

// The words of a message without its markdown, for one-line previews (sidebar, search, pins, quotes).
export function plain(text) {
  return text
    .replace(FENCE, (_, code) => code)
    .replace(INLINE, (whole, code, bold, star, under) => code ?? bold ?? star ?? under ?? whole);
}

export function snippet(text, length = 80) {
  const flat = plain(text).replace(/\s+/g, " ").trim();
  return flat.length > length ? flat.slice(0, length - 1) + "…" : flat;
}

// The address of a conversation, or of one message in it.
export function permalink(conversationId, seq = null) {
  return seq ? `/c/${conversationId}/${seq}` : `/c/${conversationId}`;
}
