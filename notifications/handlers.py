"""The message events notifications follow. In-process after commit by default, and from Kafka
with `consume_events --group notifications --handlers notifications`. Each is idempotent: a plan
is one row per message and destination (unique key), so a redelivered event plans nothing new."""

from notifications import planner, withdrawal
from streaming import bus


@bus.handles("message.created")
def on_message_created(envelope):
    planner.plan(envelope)


@bus.handles("message.deleted")
def on_message_deleted(envelope):
    withdrawal.message_deleted(envelope["payload"])


@bus.handles("conversation.read")
def on_conversation_read(envelope):
    withdrawal.conversation_read(envelope)
