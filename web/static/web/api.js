// The REST API with the session cookie. Django's CSRF check wants the csrftoken cookie echoed in a
// header on every write made with a session.

export class ApiError extends Error {
  constructor(status, code, message, fields = {}, retryAfter = null) {
    super(message);
    this.status = status;
    this.code = code;
    this.fields = fields;
    this.retryAfter = retryAfter;
  }
}

export function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

export async function api(method, path, body) {
  const headers = { Accept: "application/json" };
  // A form (a file) goes as multipart: the browser sets that type, with its boundary.
  const form = body instanceof FormData;
  if (body !== undefined && !form) headers["Content-Type"] = "application/json";
  if (method !== "GET") headers["X-CSRFToken"] = csrfToken();
  let response;
  try {
    response = await fetch(`/api/v1/${path}`, {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined || form ? body : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, "network", "The server can't be reached. Check your connection.");
  }
  if (response.status === 204) return null;
  const data = await response.json().catch(() => null);
  if (response.ok) return data;
  const error = (data && data.error) || {};
  const firstField = Object.values(error.fields || {})[0];
  const message = firstField && error.code !== "unknown_fields" ? `${error.message} ${firstField[0]}` : error.message;
  throw new ApiError(
    response.status,
    error.code || "http_" + response.status,
    message || `The server answered ${response.status}.`,
    error.fields || {},
    Number(response.headers.get("Retry-After")) || null,
  );
}

export const get = (path) => api("GET", path);
export const post = (path, body) => api("POST", path, body ?? {});

export function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== null) search.set(key, value);
  return search.toString();
}

// A page of a conversation's main log: top-level messages only (a reply lives in its thread's panel),
// so a page stays full when the newest messages are replies. Seqs still count the replies.
export const logPage = (conversationId, params) =>
  get(`conversations/${conversationId}/messages?${query({ ...params, top_level: 1 })}`);
