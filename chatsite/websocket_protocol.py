"""uvicorn's sans-I/O WebSocket protocol, lighter to hold open by the thousand.

The same protocol (`--ws websockets-sansio`), with two changes that only affect memory:
- the handshake's request and response are let go once the handshake is over. uvicorn keeps both
  for the connection's life but reads neither after it, and their headers were about 4 KB of every
  open socket. The ASGI scope keeps a copy of the request's headers, as the application reads them.
- its state lives in slots: with more than 30 attributes an instance's __dict__ stops sharing its
  keys with the other instances, a whole dict per connection. An attribute a later uvicorn adds
  falls back to the __dict__ and works the same.
"""

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol


class WebSocketProtocol(WebSocketsSansIOProtocol):
    __slots__ = (
        *("app", "app_state", "asgi_version", "client", "close_sent", "close_timeout", "close_timer"),
        *("config", "conn", "connections", "curr_msg_data_type", "default_headers", "disconnected"),
        *("frames", "handshake_complete", "handshake_initiated", "initial_response", "last_ping_rtt"),
        *("logger", "loop", "pending_ping_payload", "ping_interval", "ping_sent_at", "ping_timeout"),
        *("ping_timer", "pong_timer", "queue", "read_paused", "request", "response", "root_path"),
        *("scheme", "scope", "server", "tasks", "transport", "writable"),
    )

    def start_keepalive(self):
        # Called once, right after the accepting response was written: the handshake is over.
        super().start_keepalive()
        # websockets' parser keeps the request object as long as the connection (a local of its
        # generator); emptied, it keeps no headers. The scope has its own copy of them.
        self.request.headers.clear()
        self.request = self.response = None
