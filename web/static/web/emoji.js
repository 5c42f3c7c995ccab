// Emoji: the picker (search, groups, recent picks) and `:shortcode:` lookup for the composer.
// The data is emojibase-data from npm, served as static files and fetched the first time it is
// needed, so a client that never opens the picker never downloads it.

import { h } from "./dom.js";

const BASE = "/static/web/vendor/emoji/";
const RECENT_KEY = "chatsite.emoji.recent";
const RECENT_MAX = 24;
const RESULTS_MAX = 200;
// emojibase's group numbers; 2 (skin-tone and hair components) is not offered on its own.
const GROUPS = [
  [0, "😀", "Smileys"],
  [1, "👋", "People"],
  [3, "🐻", "Animals and nature"],
  [4, "🍔", "Food and drink"],
  [5, "✈️", "Travel and places"],
  [6, "⚽", "Activities"],
  [7, "💡", "Objects"],
  [8, "❤️", "Symbols"],
  [9, "🏁", "Flags"],
];

let loading = null;
let catalogue = null; // { all: [{emoji, label, group, words, codes}], byCode: Map }

export function loadEmoji() {
  if (!loading) {
    loading = Promise.all([fetchJson("compact.json"), fetchJson("shortcodes.json")]).then(([rows, codes]) => {
      catalogue = buildCatalogue(rows, codes);
      return catalogue;
    });
    loading.catch(() => (loading = null)); // a failed download may be tried again
  }
  return loading;
}

async function fetchJson(name) {
  const response = await fetch(BASE + name, { credentials: "same-origin" });
  if (!response.ok) throw new Error(`The emoji list could not be loaded (${response.status}).`);
  return response.json();
}

function buildCatalogue(rows, shortcodes) {
  const all = [];
  const byCode = new Map();
  for (const row of rows) {
    if (row.group === undefined || row.group === 2) continue;
    const raw = shortcodes[row.hexcode];
    const codes = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
    const item = {
      emoji: row.unicode,
      label: row.label,
      group: row.group,
      codes,
      words: [row.label, ...(row.tags || []), ...codes].join(" ").toLowerCase(),
    };
    all.push(item);
    for (const code of codes) if (!byCode.has(code)) byCode.set(code, item);
  }
  return { all, byCode };
}

export const emojiLoaded = () => catalogue !== null;

// Completion for `:sm` in the composer: names that start with the prefix first, then the others
// that contain it. Empty until the data is loaded.
export function shortcodeMatches(prefix, limit = 8) {
  if (!catalogue) return [];
  const starts = [];
  const contains = [];
  for (const [code, item] of catalogue.byCode) {
    if (code.startsWith(prefix)) starts.push({ code, item });
    else if (contains.length < limit && code.includes(prefix)) contains.push({ code, item });
    if (starts.length >= limit) break;
  }
  return [...starts, ...contains].slice(0, limit);
}

export function emojiForCode(code) {
  return catalogue ? (catalogue.byCode.get(code) || null) : null;
}

export function recentEmoji() {
  try {
    const saved = JSON.parse(localStorage.getItem(RECENT_KEY) || "[]");
    return Array.isArray(saved) ? saved.filter((e) => typeof e === "string").slice(0, RECENT_MAX) : [];
  } catch {
    return [];
  }
}

export function rememberEmoji(emoji) {
  const recent = [emoji, ...recentEmoji().filter((e) => e !== emoji)].slice(0, RECENT_MAX);
  try {
    localStorage.setItem(RECENT_KEY, JSON.stringify(recent));
  } catch {
    // Private windows may refuse storage; the picker still works without its recent row.
  }
}

export function searchEmoji(query) {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (!catalogue || !words.length) return [];
  return catalogue.all.filter((item) => words.every((w) => item.words.includes(w))).slice(0, RESULTS_MAX);
}

// The picker: a dialog near the button that opened it. `onPick(emoji)` gets the chosen one; Escape
// or a click outside closes it and gives the focus back to the opener.
let open = null;

export function closePicker() {
  if (!open) return;
  const { panel, opener, onOutside } = open;
  open = null;
  document.removeEventListener("mousedown", onOutside, true);
  panel.remove();
  if (opener && opener.isConnected) opener.focus();
}

export function openPicker(opener, onPick, label = "Pick an emoji") {
  closePicker();
  const search = h("input", { type: "search", placeholder: "Search emoji", "aria-label": "Search emoji", autocomplete: "off" });
  const status = h("p", { class: "emoji-status", role: "status" });
  const grid = h("div", { class: "emoji-grid", role: "group", "aria-label": "Emoji" });
  const state = { group: recentEmoji().length ? "recent" : 0 };
  const tabs = h(
    "div",
    { class: "emoji-tabs", role: "group", "aria-label": "Emoji groups" },
    h("button", { type: "button", "data-group": "recent", title: "Recently used", "aria-label": "Recently used", text: "🕘" }),
    GROUPS.map(([group, icon, name]) =>
      h("button", { type: "button", "data-group": String(group), title: name, "aria-label": name, text: icon }),
    ),
  );
  const panel = h("div", { class: "emoji-picker", role: "dialog", "aria-label": label }, search, tabs, status, grid);

  const pick = (emoji) => {
    rememberEmoji(emoji);
    closePicker();
    onPick(emoji);
  };
  const cell = (emoji, name) =>
    h("button", { type: "button", class: "emoji-cell", title: name, "aria-label": name, text: emoji, onclick: () => pick(emoji) });

  const draw = () => {
    for (const tab of tabs.children) tab.setAttribute("aria-pressed", String(tab.dataset.group === String(state.group)));
    // A tab picked or a word typed before the list has arrived is kept: the load draws it then.
    if (!catalogue) return;
    const query = search.value.trim();
    let cells;
    if (query) {
      const found = searchEmoji(query);
      cells = found.map((item) => cell(item.emoji, item.label));
      status.textContent = found.length ? "" : `No emoji matches “${query}”.`;
    } else if (state.group === "recent") {
      const recent = recentEmoji();
      cells = recent.map((emoji) => cell(emoji, emoji));
      status.textContent = recent.length ? "" : "Emoji you pick show here.";
    } else {
      cells = catalogue.all.filter((item) => item.group === state.group).map((item) => cell(item.emoji, item.label));
      status.textContent = "";
    }
    grid.replaceChildren(...cells);
  };

  tabs.addEventListener("click", (event) => {
    const tab = event.target.closest("button[data-group]");
    if (!tab) return;
    state.group = tab.dataset.group === "recent" ? "recent" : Number(tab.dataset.group);
    search.value = "";
    draw();
  });
  search.addEventListener("input", draw);
  panel.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      event.preventDefault();
      event.stopPropagation();
      return closePicker();
    }
    if (event.key === "Enter" && event.target === search) {
      event.preventDefault();
      const first = grid.querySelector("button");
      if (first) first.click();
      return;
    }
    moveInGrid(event, grid);
  });

  const onOutside = (event) => {
    if (!panel.contains(event.target) && event.target !== opener) closePicker();
  };
  open = { panel, opener, onOutside };
  document.addEventListener("mousedown", onOutside, true);
  // On the page itself, not inside the opener's message: a redraw of the log must not take it away.
  document.body.append(panel);
  place(panel, opener);
  status.textContent = "Loading emoji…";
  search.focus();
  loadEmoji().then(
    () => open && open.panel === panel && draw(),
    (error) => {
      status.textContent = `${error.message} `;
      status.append(h("button", { type: "button", class: "link", text: "Retry", onclick: () => openPicker(opener, onPick, label) }));
    },
  );
  return panel;
}

// Above the opener when there is room (the composer sits at the bottom), else below; kept on screen.
function place(panel, opener) {
  if (window.matchMedia("(max-width: 40rem)").matches) return; // a bottom sheet at phone width (CSS)
  const at = opener.getBoundingClientRect();
  const height = panel.offsetHeight;
  const width = panel.offsetWidth;
  const top = at.top - height - 4 >= 0 ? at.top - height - 4 : Math.min(at.bottom + 4, window.innerHeight - height);
  panel.style.top = `${Math.max(0, top)}px`;
  panel.style.left = `${Math.max(4, Math.min(at.right - width, window.innerWidth - width - 4))}px`;
}

// Arrow keys move between the cells as in a grid, whose width is read from the layout.
function moveInGrid(event, grid) {
  const cells = [...grid.querySelectorAll("button")];
  const at = cells.indexOf(document.activeElement);
  if (at < 0 || !["ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown", "Home", "End"].includes(event.key)) return;
  const top = cells[0].offsetTop;
  const perRow = Math.max(1, cells.findIndex((c) => c.offsetTop !== top) === -1 ? cells.length : cells.findIndex((c) => c.offsetTop !== top));
  const next = { ArrowLeft: at - 1, ArrowRight: at + 1, ArrowUp: at - perRow, ArrowDown: at + perRow, Home: 0, End: cells.length - 1 }[event.key];
  if (cells[next]) {
    event.preventDefault();
    cells[next].focus();
  }
}
