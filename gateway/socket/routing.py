"""WebSocket routes: the chat gateway at /ws/v1/ (protocol in gateway.protocol); another version,
or another path, is accepted only to be closed with a code a client can act on.

No middleware: the consumer decides whether a session cookie counts (only with an allowed Origin,
and no token offered), and only then parses the cookie and reads that session itself
(gateway.socket.auth.session_cookie and session_user).

Not Channels' URLRouter and as_asgi: for three fixed paths they gave each socket a copy of its
scope and two coroutine frames, held as long as the socket is open (1 KB of each idle socket).
Here the route is a plain function that returns the consumer's coroutine: no frame of its own.
"""

import re

from gateway.socket.consumer import ChatConsumer, Refusal, UnsupportedVersion

CURRENT = "/ws/v1/"
VERSIONED = re.compile(r"/ws/v\d+/")


def consumer_for(scope):
    """The consumer class that answers this WebSocket."""
    path, root = scope["path"], scope.get("root_path", "")
    if root and path.startswith(root):  # behind a proxy that mounts the server under a prefix
        path = path[len(root) :]
    if path == CURRENT:
        return ChatConsumer
    if VERSIONED.fullmatch(path):
        return UnsupportedVersion
    return Refusal


def websocket_application(scope, receive, send):
    return consumer_for(scope)()(scope, receive, send)


# asgiref (daphne, the test communicator) would take a plain function for an ASGI 2 application.
websocket_application._asgi_single_callable = True
