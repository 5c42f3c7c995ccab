"""Domain events that integrations follow (registered by streaming's autodiscovery)."""

from integrations import outgoing
from streaming.bus import handles


@handles("message.created")
def queue_outgoing_webhooks(envelope):
    outgoing.queue_deliveries(envelope["payload"])
