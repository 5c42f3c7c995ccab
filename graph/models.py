from django.conf import settings
from django.db import models
from django.utils import timezone


class Block(models.Model):
    """`blocker` blocked `blocked`: the one source of truth that chats, search and the mirrors read.

    No reverse accessors on User: other apps ask `graph.selectors`, not the ORM.
    """

    # The unique pair's index serves look-ups by blocker and the (blocked, blocker) index those by
    # blocked, so neither column needs an index of its own.
    blocker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False)
    blocked = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["blocker", "blocked"], name="graph_block_unique_pair"),
            models.CheckConstraint(condition=~models.Q(blocker=models.F("blocked")), name="graph_block_not_self"),
        ]
        indexes = [models.Index(fields=["blocked", "blocker"], name="graph_block_blocked_idx")]

    def __str__(self):
        return f"{self.blocker_id} blocks {self.blocked_id}"
