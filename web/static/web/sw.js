// The service worker: shows a push as a notification and opens its conversation on a click.
// Served from the site's root (/sw.js) so that its scope is the whole client. Everything shown is
// text: a notification's title and body are never HTML.

const SAME_ORIGIN = (raw) => {
  try {
    const url = new URL(raw, self.location.origin);
    return url.origin === self.location.origin ? url : null;
  } catch {
    return null;
  }
};

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

// The app's badge follows the person's unread count, where the browser has badges.
const setBadge = (count) => {
  if (count === null || !self.navigator || typeof self.navigator.setAppBadge !== "function") return;
  const done = count > 0 ? self.navigator.setAppBadge(count) : self.navigator.clearAppBadge();
  done.catch(() => {});
};

const withdraw = async (tag, badge) => {
  setBadge(badge);
  if (!tag) return;
  const shown = await self.registration.getNotifications({ tag });
  shown.forEach((notification) => notification.close());
};

self.addEventListener("push", (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch {
    data = {};
  }
  const badge = Number.isInteger(data.badge) && data.badge >= 0 ? data.badge : null;
  if (data.type === "withdraw") {
    // Read on another device: this device's notification of the conversation goes away.
    event.waitUntil(withdraw(typeof data.tag === "string" ? data.tag : "", badge));
    return;
  }
  setBadge(badge);
  const title = typeof data.title === "string" && data.title ? data.title : "chatsite";
  const body = typeof data.body === "string" ? data.body : "";
  const url = SAME_ORIGIN(typeof data.url === "string" ? data.url : "/") || new URL("/", self.location.origin);
  // One notification per conversation: a newer message replaces the older one (the tag).
  const tag = typeof data.tag === "string" ? data.tag : "chatsite";
  event.waitUntil(
    self.registration.showNotification(title, {
      body,
      tag,
      renotify: true,
      data: { url: url.pathname + url.search, conversation_id: data.conversation_id || null },
    }),
  );
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = SAME_ORIGIN((event.notification.data && event.notification.data.url) || "/");
  if (!url) return;
  event.waitUntil(
    (async () => {
      const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
      // A tab running the client (not an API or admin page of the same site), the visible one first.
      const app = windows.filter((c) => {
        const path = new URL(c.url).pathname;
        return path === "/" || path.startsWith("/c/");
      });
      const client = app.find((c) => c.visibilityState === "visible") || app[0];
      if (client) {
        client.postMessage({ type: "open", url: url.pathname + url.search });
        try {
          await client.focus();
        } catch {
          // Only a click the person made may bring a window forward; the page still opened it.
        }
        return;
      }
      await self.clients.openWindow(url.href);
    })(),
  );
});
