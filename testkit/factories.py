"""factory_boy factories and the helpers that make domain objects through the real actions."""

import itertools
import uuid

import factory
from django.contrib.auth import get_user_model

PASSWORD = "plum-Orchard-42-violet"  # noqa: S105 - a test password that passes every validator
_ids = itertools.count(1)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _saved(obj, create, extracted, **kwargs):
        if create:
            obj.save()


def send(user, conversation, text="hello", client_id=None, thread_root=None):
    """A message sent through the send action, as a client would; returns the message. `thread_root`:
    the root message to reply to in its thread."""
    from chats import actions

    message, _ = actions.do_send_message(
        user,
        conversation.id,
        text=text,
        client_id=client_id or f"c{next(_ids)}",
        thread_root=thread_root.id if thread_root else None,
    )
    return message


def store_send(store, conversation, text="hello", sender=1, client_id=None, **fields):
    """Send straight to a message store (below the actions); returns the message."""
    message, _ = store.send(
        conversation_id=conversation,
        sender_id=sender,
        client_id=client_id or uuid.uuid4().hex,
        text=text,
        parent_id=fields.get("parent_id"),
        mentions=fields.get("mentions", []),
        mention_all=fields.get("mention_all", False),
        attachments=fields.get("attachments", ()),
        thread_root_id=fields.get("thread_root_id"),
    )
    return message


def group_of(owner, *members, title="Team"):
    from chats import actions

    return actions.do_create_conversation(owner, kind="group", title=title, member_ids=[m.pk for m in members])


def bot_of(owner, username="helperbot", scopes=("read", "send")):
    """A bot owned by `owner`, made through the bots actions; returns (bot, token string)."""
    from accounts import bots

    bot = bots.do_create_bot(owner, username)
    _, token = bots.do_issue_token(owner, bot.pk, list(scopes))
    return bot, token
