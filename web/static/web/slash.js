// Slash commands in the composer: "/" at the start of the box offers this conversation's commands
// (the built-ins and its bots', as the server lists them), and a line naming one of them is run by
// the server instead of being sent as a message. The server decides what may run; this only offers.

import { get, post } from "./api.js";
import { h, randomId } from "./dom.js";

const NAME_AT_START = /^\/([a-z0-9_-]{0,32})$/;
const COMMAND_LINE = /^\/([a-z0-9_-]{1,32})(?:\s|$)/;
const lists = new Map(); // conversation id -> its commands (none yet while they are on their way)
const requests = new Map(); // conversation id -> the request for its commands, while on its way

// A conversation's commands are asked for when its box first starts with "/", not when it is
// opened: most opens never use one, and each request is work on the open's path (a thousand
// conversations, each first opened once, asked a thousand times). `loaded` runs when the list
// arrives, so that the "/" typed meanwhile is offered its commands. Resolves once it is known.
export function loadCommands(conversationId, loaded = () => {}) {
  if (!conversationId) return Promise.resolve();
  if (lists.has(conversationId)) return requests.get(conversationId) || Promise.resolve();
  lists.set(conversationId, []);
  const request = get(`conversations/${conversationId}/commands`)
    .then((list) => {
      lists.set(conversationId, list);
      loaded(conversationId);
    })
    .catch(() => lists.delete(conversationId)) // asked again at the next "/"
    .finally(() => requests.delete(conversationId));
  requests.set(conversationId, request);
  return request;
}

// The commands to offer for what is typed, or null when the box does not start a command.
export function commandSuggestions(conversationId, text) {
  const match = text.match(NAME_AT_START);
  if (!match) return null;
  return (lists.get(conversationId) || []).filter((c) => c.name.startsWith(match[1])).slice(0, 8);
}

// Whether the line may name a command, so that its sending must wait for the list (loadCommands).
export const mayBeCommand = (text) => COMMAND_LINE.test(text);

export function isCommand(conversationId, text) {
  const match = text.match(COMMAND_LINE);
  return Boolean(match) && (lists.get(conversationId) || []).some((c) => c.name === match[1]);
}

export function runCommand(conversationId, text) {
  return post(`conversations/${conversationId}/commands`, { text, client_id: randomId("cmd-") });
}

// One option of the suggestion list; every piece of it is a text node.
export function commandOption(command) {
  return [
    h("strong", { text: `/${command.name}` }),
    command.usage ? ` ${command.usage}` : "",
    ` — ${command.description}`,
    command.bot ? h("span", { class: "bot", text: ` (${command.bot})` }) : "",
  ];
}
