"""ASGI entry point: HTTP goes to Django, WebSocket to the chat gateway under /ws/."""

import gc
import os
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings.dev")

from chatsite.http_handler import http_application

# Django must be set up before the consumers (and the models they import) load.
django_http_app = http_application()

from channels.routing import ProtocolTypeRouter  # noqa: E402

from chatsite import log_filters  # noqa: E402
from gateway.socket.routing import websocket_application  # noqa: E402

# The event loop and Django's sync thread (where every write runs) share the GIL. At the default
# 5 ms switch interval a busy loop makes each database round trip of a send wait up to 5 ms to
# get the GIL back, and a send makes about a dozen: bench/ws_load measured a send's ack at 50 ms
# under load. A 1 ms interval (ASGI_SWITCH_INTERVAL) gives the thread its turn sooner.
sys.setswitchinterval(float(os.environ.get("ASGI_SWITCH_INTERVAL", "0.001")))

log_filters.install()  # a client's bad frame is not the server's error
application = ProtocolTypeRouter({"http": django_http_app, "websocket": websocket_application})

# Everything loaded so far lives as long as the process: out of the collector's sight, a full
# collection walks only what sockets and requests made, and its pauses (the p99 of a fan-out) shrink.
gc.freeze()
