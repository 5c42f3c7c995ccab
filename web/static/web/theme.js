// Light or dark: the system's choice (prefers-color-scheme) unless the user picks one, remembered in
// localStorage. The stylesheet reads data-theme on <html>.

const KEY = "chatsite.theme";
const NEXT = { auto: "dark", dark: "light", light: "auto" };

function saved() {
  try {
    const value = localStorage.getItem(KEY);
    return value in NEXT ? value : "auto";
  } catch {
    return "auto";
  }
}

function apply(theme, button) {
  if (theme === "auto") delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = theme;
  button.textContent = `Theme: ${theme}`;
  button.setAttribute("aria-label", `Theme: ${theme}. Switch to ${NEXT[theme]}`);
}

export function setupTheme(button) {
  let theme = saved();
  apply(theme, button);
  button.addEventListener("click", () => {
    theme = NEXT[theme];
    try {
      localStorage.setItem(KEY, theme);
    } catch {
      /* not kept over a reload, still applied now */
    }
    apply(theme, button);
  });
}
