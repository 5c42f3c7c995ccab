"""Keeps a mirroring graph adapter (Neo4j) equal to the relational truth, one piece at a time.

Each function re-reads the truth for its piece (a user, a pair, a membership) and sets the mirror
to it. So it needs nothing but ids, may run any number of times, late, or out of order, and always
leaves the piece right: what at-least-once delivery from the outbox or Kafka requires.
With the sql adapter there is nothing to copy, and each is a no-op.
"""

from accounts.models import User
from chats.selectors import is_member
from graph.backends import get_backend, sql_graph


def sync_user(user_id):
    backend = get_backend()
    if not backend.mirrors:
        return
    row = User.objects.filter(pk=user_id).values("username", "is_active").first()
    if row is None:
        backend.remove_user(user_id)
    else:
        backend.put_user(user_id, username=row["username"], active=row["is_active"])


def sync_pair(a_id, b_id):
    backend = get_backend()
    if not backend.mirrors or a_id == b_id:
        return
    users = {row["pk"]: row for row in User.objects.filter(pk__in=(a_id, b_id)).values("pk", "username", "is_active")}
    for user_id in (a_id, b_id):
        if user_id in users:
            backend.put_user(user_id, username=users[user_id]["username"], active=users[user_id]["is_active"])
        else:
            backend.remove_user(user_id)
    if len(users) == 2:
        backend.put_pair(a_id, b_id, sql_graph().relation(a_id, b_id))


def sync_membership(user_id, conversation_id):
    backend = get_backend()
    if not backend.mirrors:
        return
    member = is_member(user_id, conversation_id)
    backend.put_membership(user_id, conversation_id, member)
