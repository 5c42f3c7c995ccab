"""Demo data for `make run`: a few users, a direct conversation, a group and a public channel."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from chats import actions

DEMO_PASSWORD = "chatsite-demo"  # noqa: S105 - printed to the developer on purpose
PEOPLE = [
    ("alice", "Alice Liddell"),
    ("bob", "Bob Builder"),
    ("carol", "Carol Danvers"),
    ("dave", "Dave Bowman"),
]


class Command(BaseCommand):
    help = "Create demo users and conversations (safe to run again), and print the logins."

    def handle(self, *args, **options):
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
            user = User(username=username, display_name=name, email=f"{username}@example.com")
            user.set_password(DEMO_PASSWORD)
            user.is_staff = user.is_superuser = username == "alice"
            user.save()
            users[username] = user
        alice, bob, carol, dave = (users[name] for name, _ in PEOPLE)

        dm, _ = actions.do_open_direct(alice, bob)
        actions.do_send_message(alice, dm.id, text="Hi Bob, are you around?", client_id="seed-1")
        actions.do_send_message(bob, dm.id, text="Yes! What's up @alice?", client_id="seed-2")

        group = actions.do_create_conversation(
            alice, kind="group", title="Weekend plans", topic="Hiking on Saturday", invitees=[bob, carol]
        )
        actions.do_send_message(carol, group.id, text="I'll bring sandwiches.", client_id="seed-3")

        general = actions.do_create_conversation(
            alice, kind="channel", title="general", topic="Say hello", is_public=True, invitees=[bob, carol, dave]
        )
        first, _ = actions.do_send_message(alice, general.id, text="Welcome to chatsite, @all!", client_id="seed-4")
        actions.do_react(dave, general.id, first.id, "👋")
