"""The demo data of `make run`."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from streaming.models import OutboxEvent

pytestmark = pytest.mark.django_db


def test_demo_users_are_registered_through_the_action_so_every_consumer_hears_of_them():
    call_command("seed_demo", stdout=io.StringIO())
    registered = set(OutboxEvent.objects.filter(type="user.registered").values_list("payload__username", flat=True))
    assert registered == {"alice", "bob", "carol", "dave"}


def test_demo_data_is_refused_where_the_settings_forbid_it(settings):
    settings.DEMO_DATA_ALLOWED = False
    with pytest.raises(CommandError):
        call_command("seed_demo")
