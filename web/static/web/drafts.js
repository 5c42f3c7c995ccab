// What the user was writing in each conversation, kept when they switch and, in sessionStorage, over
// a reload of the tab. Edits are never drafts: only the text of a new message or a reply is kept.

export class Drafts {
  constructor(key) {
    this.key = key;
    this.texts = {};
    try {
      this.texts = JSON.parse(sessionStorage.getItem(key) || "{}") || {};
    } catch {
      this.texts = {};
    }
  }

  get(conversationId) {
    return (conversationId && this.texts[conversationId]) || "";
  }

  set(conversationId, text) {
    if (!conversationId) return;
    if (text) this.texts[conversationId] = text;
    else delete this.texts[conversationId];
    try {
      sessionStorage.setItem(this.key, JSON.stringify(this.texts));
    } catch {
      /* private mode or full: the drafts still live in memory for this page */
    }
  }
}
