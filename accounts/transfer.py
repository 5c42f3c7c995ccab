"""The user rows that travel with a workspace export (chatsite.portable): the people, their
password hashes and profiles, and the bots with their owners. API tokens stay behind: they are
secrets of one deployment, and bot owners issue new ones."""

from accounts.models import User
from chatsite.portable import Portable

USERS = Portable(
    "users",
    User,
    fields=(
        "id",
        "username",
        "password",
        "email",
        "first_name",
        "last_name",
        "is_active",
        "is_staff",
        "is_superuser",
        "date_joined",
        "last_login",
        "display_name",
        "avatar_url",
        "bio",
        "status_text",
        "session_epoch",
        "is_bot",
        "bot_owner_id",
    ),
    key=("id",),
)
