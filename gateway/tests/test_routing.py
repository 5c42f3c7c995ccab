"""Which consumer answers a WebSocket, by its path: the current version, another version (closed
with a code a client can act on), anything else (not found); a root path is not part of the route."""

import pytest

from gateway.socket.consumer import ChatConsumer, Refusal, UnsupportedVersion
from gateway.socket.routing import consumer_for


@pytest.mark.parametrize(
    ("path", "root_path", "consumer"),
    [
        ("/ws/v1/", "", ChatConsumer),
        ("/chat/ws/v1/", "/chat", ChatConsumer),
        ("/ws/v2/", "", UnsupportedVersion),
        ("/chat/ws/v12/", "/chat", UnsupportedVersion),
        ("/ws/v1", "", Refusal),
        ("/ws/v1/extra/", "", Refusal),
        ("/chat/ws/v1/", "", Refusal),
        ("/", "", Refusal),
    ],
)
def test_each_path_is_answered_by_its_consumer(path, root_path, consumer):
    assert consumer_for({"path": path, "root_path": root_path}) is consumer
