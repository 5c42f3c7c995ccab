from django.conf import settings
from django.db import models
from django.utils import timezone


class Follow(models.Model):
    """`follower` follows `followee`: one way, no consent needed, refused while either blocks the other."""

    follower = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False)
    followee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["follower", "followee"], name="graph_follow_unique_pair"),
            models.CheckConstraint(condition=~models.Q(follower=models.F("followee")), name="graph_follow_not_self"),
        ]
        # Lists page newest first by id: one index per side walks a user's rows in that order.
        indexes = [
            models.Index(fields=["follower", "id"], name="graph_follow_following_idx"),
            models.Index(fields=["followee", "id"], name="graph_follow_followers_idx"),
        ]

    def __str__(self):
        return f"{self.follower_id} follows {self.followee_id}"


class FriendRequest(models.Model):
    """A pending request only: accepting, declining or cancelling deletes the row."""

    from_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False)
    to_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["from_user", "to_user"], name="graph_request_unique_pair"),
            models.CheckConstraint(condition=~models.Q(from_user=models.F("to_user")), name="graph_request_not_self"),
        ]
        indexes = [
            models.Index(fields=["from_user", "id"], name="graph_request_outgoing_idx"),
            models.Index(fields=["to_user", "id"], name="graph_request_incoming_idx"),
        ]

    def __str__(self):
        return f"{self.from_user_id} asks {self.to_user_id}"


class Friendship(models.Model):
    """One row per direction: a friendship of A and B is the rows (A, B) and (B, A), written and deleted
    together. Two rows cost space but turn "friends of friends" into two plain index joins."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False)
    friend = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            # Leads with user: serves "friends of X" and the friends-of-friends join.
            models.UniqueConstraint(fields=["user", "friend"], name="graph_friendship_unique_pair"),
            models.CheckConstraint(condition=~models.Q(user=models.F("friend")), name="graph_friendship_not_self"),
        ]
        indexes = [models.Index(fields=["user", "id"], name="graph_friendship_list_idx")]

    def __str__(self):
        return f"{self.user_id} is a friend of {self.friend_id}"
