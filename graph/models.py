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


class SuggestionDismissal(models.Model):
    """`user` said no to `dismissed` as a suggestion: they are never suggested to `user` again."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False)
    dismissed = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            # Leads with user: serves "who did I dismiss" on every read of suggestions.
            models.UniqueConstraint(fields=["user", "dismissed"], name="graph_dismissal_unique_pair"),
        ]

    def __str__(self):
        return f"{self.user_id} dismissed {self.dismissed_id}"


class SuggestionRun(models.Model):
    """When the batch last computed the user's stored suggestions. Its absence means never: the
    request path then ranks live; its time tells which friendships are newer than the batch."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="+")
    computed_at = models.DateTimeField()

    def __str__(self):
        return f"suggestions of {self.user_id} at {self.computed_at:%Y-%m-%d %H:%M}"


class StoredSuggestion(models.Model):
    """One of the batch's best candidates for a user, with the score and counts it had then.

    The request path re-checks every row against the truth (friends, requests, follows, blocks,
    dismissals, inactive users) and recounts mutual friends and shared conversations for what it
    shows, so a stale row can be dropped but never shown with a stale reason.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False)
    candidate = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    score = models.FloatField()
    mutual_friends = models.PositiveIntegerField()
    shared_conversations = models.PositiveIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "candidate"], name="graph_stored_unique_pair")]

    def __str__(self):
        return f"{self.candidate_id} for {self.user_id} ({self.score:.3f})"
