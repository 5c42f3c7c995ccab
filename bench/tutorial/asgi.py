"""The baseline server of the benchmark: the gateway with the tutorial's fan-out
(bench.tutorial.fanout, chosen by GATEWAY_FANOUT) and JSON by the standard library, as the
Channels tutorial writes its frames."""

import json

from chatsite.asgi import application as chatsite_application  # noqa: F401 - sets Django up
from gateway.socket import consumer


class TutorialConsumer(consumer.ChatConsumer):
    def encode(self, frame):
        return json.dumps(frame, separators=(",", ":"))


def _routes():
    from channels.auth import AuthMiddlewareStack
    from channels.routing import ProtocolTypeRouter, URLRouter
    from django.core.asgi import get_asgi_application
    from django.urls import path

    return ProtocolTypeRouter(
        {
            "http": get_asgi_application(),
            "websocket": AuthMiddlewareStack(URLRouter([path("ws/v1/", TutorialConsumer.as_asgi())])),
        }
    )


application = _routes()
