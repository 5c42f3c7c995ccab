import pytest
from rest_framework.test import APIClient

from testkit.factories import bot_of, group_of


@pytest.fixture
def owner_client(alice):
    client = APIClient()
    client.force_authenticate(alice)
    return client


@pytest.fixture
def bot(alice):
    """alice's bot, with a read and send token: (bot, token)."""
    return bot_of(alice, "echo")


@pytest.fixture
def room(alice, bob, bot):
    """A group of alice (owner), bob and alice's bot."""
    return group_of(alice, bob, bot[0], title="room")
