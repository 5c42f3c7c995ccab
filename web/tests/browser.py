"""What the browser tests share: Debian's Chromium, one user's tab with the steps a person takes, and
users made straight in the database."""

import re
from pathlib import Path

from django.contrib.auth import get_user_model

from testkit.services import deadline, wait_until

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
PASSWORD = "correct-horse-battery-9"


# Chromium forgets a notification whose showNotification() overlaps a getNotifications() call (the
# client takes its own calls in turn: notify.js). A test's look at what is up is such a call too, so
# it looks only once the shows it caused are over. This wrapper, run in a page (an init script) or
# in the service worker, counts the shows that finished.
COUNT_SHOWS = """(() => {
  if (self.__shows !== undefined) return;
  self.__shows = 0;
  const show = ServiceWorkerRegistration.prototype.showNotification;
  ServiceWorkerRegistration.prototype.showNotification = function (...args) {
    return show.apply(this, args).then((result) => {
      self.__shows += 1;
      return result;
    });
  };
})()"""


def wait_shows(target, count, what, seen=None):
    """Wait until `count` showNotification() calls made in `target` (a page or a worker running
    COUNT_SHOWS) have finished."""
    wait_until(lambda: target.evaluate("self.__shows") >= count, what, seen=seen)


def user(username, **fields):
    return get_user_model().objects.create_user(username, password=PASSWORD, **fields)


class Tab:
    """One user's browser context and page, with the steps a person takes."""

    def __init__(self, browser, base_url, viewport=None):
        self.context = browser.new_context(viewport=viewport or {"width": 1100, "height": 760})
        # Every wait of a step (a click, a navigation) has the suite's one deadline, as any other test.
        self.context.set_default_timeout(deadline() * 1000)
        self.page = self.context.new_page()
        self.errors = []
        self.console = []  # every line the page logged, for a failed wait to show (Tab.seen)
        # What crossed the wire, for the same report: a wait that failed tells whether the frame
        # came, and what the API answered after it, apart from what the page made of them.
        self.traffic = []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("console", self._console)
        self.page.on("response", self._response)
        self.page.on("websocket", lambda ws: ws.on("framereceived", self._frame))
        self.base_url = base_url

    def _response(self, response):
        if "/api/" in response.url:
            self.traffic.append(f"{response.status} {response.request.method} {response.url.split('/api/', 1)[1]}")

    def _frame(self, payload):
        text = payload if isinstance(payload, str) else "(binary)"
        kind = re.search(r'"type":\s*"([^"]+)"', text)
        seq = re.search(r'"seq":\s*(\d+)', text)
        self.traffic.append(f"frame {kind[1] if kind else '?'}" + (f" seq {seq[1]}" if seq else ""))

    def _console(self, message):
        self.console.append(f"{message.type}: {message.text}")
        if "Content Security Policy" in message.text:
            self.errors.append(message.text)

    def seen(self, probe=None):
        """What a failed wait reports: probe's answer (a page expression), the page's console and
        its latest traffic."""
        found = {"console": self.console[-20:], "traffic": self.traffic[-30:]}
        if probe:
            found["page"] = self.page.evaluate(probe)
        return found

    def count_shows(self):
        """From the next page on, count the page's finished notification shows (wait_shows)."""
        self.context.add_init_script(COUNT_SHOWS)
        return self

    def open(self, path="/"):
        self.page.goto(self.base_url + path)
        return self

    def sign_in(self, username):
        from playwright.sync_api import expect

        self.open()
        self.page.get_by_label("Username").first.fill(username)
        self.page.locator("#login-password").fill(PASSWORD)
        self.page.get_by_role("button", name="Sign in").click()
        expect(self.page.locator("#connection")).to_have_attribute("data-state", "online")
        return self

    def conversation(self, name):
        return self.page.locator("button.conversation", has=self.page.locator(".name", has_text=name))

    def open_conversation(self, name):
        from playwright.sync_api import expect

        self.conversation(name).click()
        expect(self.page.locator("#pane-title")).to_have_text(name)

    def write(self, text):
        box = self.page.locator("#composer-text")
        box.fill(text)
        box.press("Enter")

    def message(self, text):
        return self.page.locator("#message-list .message", has=self.page.locator(".text", has_text=text))

    def texts(self):
        return self.page.locator("#message-list .message .text").all_inner_texts()

    def idle(self, log):
        """Wait until `log` is not busy: an open of the main log scrolls it to its end once laid out,
        so a scroll made earlier (a test's, right after the first page was drawn) would be undone."""
        from playwright.sync_api import expect

        expect(self.page.locator(log)).not_to_have_attribute("aria-busy", "true")

    def to_top(self, log="#messages"):
        """Scroll `log` to its top once it is idle, bringing its older-history loader into view."""
        self.idle(log)
        self.page.locator(log).evaluate("box => { box.scrollTop = 0; }")

    def to_top_and_back_as_a_page_lands(self, log, items, count):
        """Scroll `log` to its top once it is idle, and again in the task that draws its `count`th
        item (`items` selects them), before the next frame: the log grew and the reader is back at
        the top, while an IntersectionObserver that checks once a frame saw its top trigger in view
        throughout."""
        self.idle(log)
        self.page.evaluate(
            """([log, items, count]) => {
                const box = document.querySelector(log);
                const watch = new MutationObserver(() => {
                    if (box.querySelectorAll(items).length < count) return;
                    watch.disconnect();
                    box.scrollTop = 0;
                });
                watch.observe(box, { childList: true, subtree: true });
                box.scrollTop = 0;
            }""",
            [log, items, count],
        )

    def shot(self, name):
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
AXE_REPORT = """async () => (await axe.run(document, { resultTypes: ["violations"] })).violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" ")),
}))"""


def accessibility_violations(page, impacts=("serious", "critical")):
    """axe-core's serious and critical findings on the page as it is now. axe runs through the
    DevTools protocol, so the page's Content-Security-Policy stays as it is."""
    if page.evaluate("typeof window.axe") != "object":
        page.evaluate(AXE.read_text())
    return [v for v in page.evaluate(AXE_REPORT) if v["impact"] in impacts]
