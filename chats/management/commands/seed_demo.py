"""Demo data for `make run`: a few users, a direct conversation, a group and a public channel."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from accounts.actions import do_register
from chats import actions

DEMO_PASSWORD = "chatsite-demo"  # noqa: S105 - printed to the developer on purpose # nosec B105 - the demo's published password
PEOPLE = [
    ("alice", "Alice Liddell"),
    ("bob", "Bob Builder"),
    ("carol", "Carol Danvers"),
    ("dave", "Dave Bowman"),
]


class Command(BaseCommand):
    help = "Create demo users and conversations (safe to run again), and print the logins."

    def handle(self, *args, **options):
        if not settings.DEMO_DATA_ALLOWED:
            # Demo users have a published password, and alice is a superuser.
            raise CommandError(
                "Demo data is refused under these settings (DEMO_DATA_ALLOWED is off, as in production)."
            )
        User = get_user_model()
        if not User.objects.filter(username="alice").exists():
            self._create(User)
            self.stdout.write(self.style.SUCCESS("Demo data created."))
        else:
            self.stdout.write("Demo data already there.")
        self.stdout.write(f"Demo logins (password for each: {DEMO_PASSWORD}):")
        for username, name in PEOPLE:
            self.stdout.write(f"  {username:<6} {name}")
        self.stdout.write("Open http://127.0.0.1:8000/api/docs/ for the API, /admin/ as alice (staff).")

    def _create(self, User):
        users = {}
        for username, name in PEOPLE:
            # Registered as anyone would be, so that user.registered reaches the graph and the rest.
            users[username] = do_register(username, DEMO_PASSWORD, email=f"{username}@example.com", display_name=name)
        User.objects.filter(username="alice").update(is_staff=True, is_superuser=True)
        alice, bob, carol, dave = (users[name] for name, _ in PEOPLE)

        dm, _ = actions.do_open_direct(alice, bob)
        actions.do_send_message(alice, dm.id, text="Hi Bob, are you around?", client_id="seed-1")
        actions.do_send_message(bob, dm.id, text="Yes! What's up @alice?", client_id="seed-2")

        group = actions.do_create_conversation(
            alice, kind="group", title="Weekend plans", topic="Hiking on Saturday", member_ids=[bob.pk, carol.pk]
        )
        actions.do_send_message(carol, group.id, text="I'll bring sandwiches.", client_id="seed-3")

        general = actions.do_create_conversation(
            alice,
            kind="channel",
            title="general",
            topic="Say hello",
            is_public=True,
            member_ids=[bob.pk, carol.pk, dave.pk],
        )
        first, _ = actions.do_send_message(alice, general.id, text="Welcome to chatsite, @all!", client_id="seed-4")
        actions.do_react(dave, general.id, first.id, "👋")
