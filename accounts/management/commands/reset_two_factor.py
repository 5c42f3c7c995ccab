"""The recovery path for a user who lost their authenticator and their recovery codes.

    manage.py reset_two_factor <username> --reason "lost phone, identity checked by call" [--by <admin>]

Check who is asking first (out of band): this removes the second factor and signs the user out
everywhere; they sign in with the password alone and enrol again. The reason and the admin are
recorded in the event log (`user.two_factor_reset`).
"""

from django.core.management.base import BaseCommand, CommandError

from accounts import two_factor
from accounts.models import User
from chatsite.api_errors import ApiError


class Command(BaseCommand):
    help = "Remove a user's two-factor sign-in (lost device and recovery codes) and end their logins."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--reason", required=True, help="Why, for the event log.")
        parser.add_argument("--by", default="", help="Username of the admin doing it.")

    def handle(self, username, reason, by, **options):
        user = _user(username)
        actor = _user(by) if by else None
        try:
            two_factor.do_reset(user, actor=actor, reason=reason)
        except ApiError as error:
            raise CommandError(error.message) from None
        self.stdout.write(f"Two-factor sign-in of {user.username} removed; all their logins ended.")


def _user(username):
    try:
        return User.objects.get_by_natural_key(username)
    except User.DoesNotExist:
        raise CommandError(f"No user named {username!r}.") from None
