"""WebSocket routes: the chat gateway at /ws/v1/ (protocol in gateway.protocol).

The session middleware runs for every socket, so that a browser may use its cookie; the consumer
decides whether the cookie counts (only with an allowed Origin) or a token is needed.
"""

from channels.auth import AuthMiddlewareStack
from channels.routing import URLRouter
from django.urls import path, re_path

from gateway.socket.consumer import ChatConsumer, Refusal, UnsupportedVersion

websocket_urlpatterns = [
    path("ws/v1/", ChatConsumer.as_asgi()),
    re_path(r"^ws/v\d+/$", UnsupportedVersion.as_asgi()),
    re_path(r"", Refusal.as_asgi()),
]

websocket_application = AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
