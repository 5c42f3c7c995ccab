import itertools

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from chats import actions

_ids = itertools.count(1)


@pytest.fixture
def make_user(db):
    def make(username=None, **fields):
        username = username or f"user{next(_ids)}"
        return get_user_model().objects.create_user(username=username, password="pw-Long-enough-1", **fields)

    return make


@pytest.fixture
def client_for():
    """An API client logged in as `user` (None: anonymous)."""

    def make(user):
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return make


@pytest.fixture
def alice(make_user):
    return make_user("alice")


@pytest.fixture
def bob(make_user):
    return make_user("bob")


@pytest.fixture
def carol(make_user):
    return make_user("carol")


@pytest.fixture
def group(alice, bob):
    """alice owns it, bob is a member."""
    return actions.do_create_conversation(alice, kind="group", title="Team", invitees=[bob])


def send(user, conversation, text="hello", client_id=None):
    message, _ = actions.do_send_message(user, conversation.id, text=text, client_id=client_id or f"c{next(_ids)}")
    return message
