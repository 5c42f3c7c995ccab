"""A local HTTP receiver that plays a bot's webhook endpoint, for the webhook and slash command tests."""

import json


class Receiver:
    """A local HTTP server that plays a bot's endpoint: it checks every request's signature with
    the secret it is given, records what came, and answers from a script (default 200, no body)."""

    def __init__(self):
        import http.server
        import threading

        self.secret = None
        self.received = []  # (verified, headers, parsed body)
        self.answers = []  # (status, JSON body or None), used first to last
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                from integrations import signing

                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                verified = signing.verify(
                    receiver.secret or "",
                    self.headers.get(signing.TIMESTAMP_HEADER, ""),
                    self.headers.get(signing.SIGNATURE_HEADER, ""),
                    raw,
                )
                receiver.received.append((verified, dict(self.headers), json.loads(raw)))
                status, body = receiver.answers.pop(0) if receiver.answers else (200, None)
                if not verified:
                    status, body = 401, None
                data = json.dumps(body).encode() if body is not None else b""
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
