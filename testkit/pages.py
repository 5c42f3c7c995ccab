"""A local web server of scripted pages, for the link preview tests: each path answers with a
status, headers and a body given by the test, and every request is counted."""

import http.server
import threading
from collections import Counter


class PageServer:
    def __init__(self, host="127.0.0.1"):
        self.pages = {}  # path -> (status, headers, body)
        self.hits = Counter()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                server.hits[self.path] += 1
                status, headers, body = server.pages.get(self.path, (404, {"Content-Type": "text/plain"}, b"no"))
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer((host, 0), Handler)
        self.host, self.port = host, self.server.server_port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path, host=None):
        return f"http://{host or self.host}:{self.port}{path}"

    def html(self, path, html, status=200, content_type="text/html; charset=utf-8"):
        self.pages[path] = (status, {"Content-Type": content_type}, html.encode())

    def raw(self, path, body, content_type):
        self.pages[path] = (200, {"Content-Type": content_type}, body)

    def redirect(self, path, to, status=302):
        self.pages[path] = (status, {"Location": to}, b"")

    def close(self):
        self.server.shutdown()
        self.server.server_close()
