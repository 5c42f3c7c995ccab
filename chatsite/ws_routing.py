"""WebSocket routes. The chat gateway adds its consumer here."""

from channels.routing import URLRouter

websocket_urlpatterns = []

websocket_application = URLRouter(websocket_urlpatterns)
