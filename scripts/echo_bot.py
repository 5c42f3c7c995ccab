#!/usr/bin/env python3
"""An example chatsite bot: it answers every message it hears with the same text.

Set it up (as the bot's owner, who administers the conversation):
1. POST /api/v1/bots {"username": "echo"}, and add the bot to the conversation;
2. POST /api/v1/conversations/<id>/outgoing-webhooks {"bot_id": ..., "url": "http://<this host>:8081/",
   "trigger": "mention"}; keep the `secret` of the answer;
3. run: CHATSITE_WEBHOOK_SECRET=<secret> python3 echo_bot.py --port 8081

Then "@echo hello" in the conversation gets the reply "echo: hello". The bot checks each
request's signature and timestamp (integrations.signing describes them) and answers 401 to any
request that fails the check. It needs only the standard library, so it runs anywhere, without
chatsite installed; that is why it checks the signature itself.
"""

import argparse
import hashlib
import hmac
import json
import os
import re
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOLERANCE_SECONDS = 300
MAX_BODY = 1_000_000


def signature_is_valid(secret: str, timestamp: str, given: str, body: bytes) -> bool:
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > TOLERANCE_SECONDS:
        return False  # too old (or from the future): a replayed request
    expected = "v1=" + hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, given)


def reply_to(event: dict) -> dict:
    text = re.sub(r"@\S+\s*", "", event["message"]["text"]).strip()  # drop the mentions
    return {"text": f"echo: {text}"} if text else {}


def make_handler(secret: str):
    class EchoHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                return self.answer(413, {})
            body = self.rfile.read(length)
            timestamp = self.headers.get("X-Chatsite-Timestamp", "")
            given = self.headers.get("X-Chatsite-Signature", "")
            if not signature_is_valid(secret, timestamp, given, body):
                return self.answer(401, {})
            return self.answer(200, reply_to(json.loads(body)))

        def answer(self, status: int, payload: dict):
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return EchoHandler


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    args = parser.parse_args()
    secret = os.environ.get("CHATSITE_WEBHOOK_SECRET")
    if not secret:
        parser.error("set CHATSITE_WEBHOOK_SECRET to the outgoing webhook's secret")
    server = ThreadingHTTPServer((args.host, args.port), make_handler(secret))
    print(f"echo bot listening on http://{args.host}:{args.port}/", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
