"""WebSocket routes: the chat gateway at /ws/v1/ (protocol in gateway.protocol).

No middleware: the consumer decides whether a session cookie counts (only with an allowed Origin,
and no token offered), and only then parses the cookie and reads that session itself
(gateway.socket.auth.session_cookie and session_user).
"""

from channels.routing import URLRouter
from django.urls import path, re_path

from gateway.socket.consumer import ChatConsumer, Refusal, UnsupportedVersion

websocket_urlpatterns = [
    path("ws/v1/", ChatConsumer.as_asgi()),
    re_path(r"^ws/v\d+/$", UnsupportedVersion.as_asgi()),
    re_path(r"", Refusal.as_asgi()),
]

websocket_application = URLRouter(websocket_urlpatterns)
