"""Rebuild the Neo4j mirror from the relational truth, resumably; and check that the two agree.

A rebuild copies each kind of row in primary-key order, in batches. Each batch is one Cypher
statement that MERGEs the rows, stamps them with the run's id, and moves the checkpoint (the
space's :GraphRebuild node) in the same transaction: killed at any point, the next run resumes
after the last committed batch, and MERGE makes a repeated batch harmless. A final sweep deletes
what the run didn't confirm (rows deleted from the truth) unless a live sync touched it after the
run began. See graph.backends.neo4j_nodes for the model.
"""

import hashlib
import sys
import uuid
from dataclasses import dataclass

from django.db.models import F
from tqdm import tqdm

from accounts.models import Block, User
from chats import selectors as chat_selectors
from graph.backends.neo4j import now_ms
from graph.backends.neo4j_nodes import cypher, stream
from graph.models import Follow, FriendRequest, Friendship

SWEEP_BATCH = 10_000


# Endpoints of an edge batch are MERGEd, not MATCHed, so that a user or conversation made after its
# own phase ran still gets its edges (and is confirmed by this run).
def _merge_user(var, field):
    return (
        f"MERGE ({var}:User {{key: $space + ':' + toString(row.{field})}}) "
        f"ON CREATE SET {var}.space = $space, {var}.user_id = row.{field}, {var}.active = true, {var}.run = $run"
    )


MERGE_CONVERSATION = (
    "MERGE (b:Conversation {key: $space + ':' + row.b}) "
    "ON CREATE SET b.space = $space, b.conversation_id = row.b, b.run = $run"
)


def _edge_cypher(edge_type, *, to_conversation=False):
    target = MERGE_CONVERSATION if to_conversation else _merge_user("b", "b")
    return "\n".join(
        ["UNWIND $rows AS row", _merge_user("a", "a"), target, f"MERGE (a)-[r:{edge_type}]->(b)", "SET r.run = $run"]
    )


@dataclass(frozen=True)
class Phase:
    name: str
    rows: object  # () -> queryset of values_list rows, primary key first
    to_param: object  # row tuple -> dict for $rows
    cypher: str


def _pair(row):
    return {"a": row[1], "b": row[2]}


PHASES = (
    Phase(
        "users",
        lambda: User.objects.values_list("pk", "username", "is_active"),
        lambda row: {"id": row[0], "username": row[1], "active": row[2]},
        """UNWIND $rows AS row
        MERGE (u:User {key: $space + ':' + toString(row.id)}) ON CREATE SET u.space = $space, u.user_id = row.id
        SET u.username = row.username, u.active = row.active, u.run = $run""",
    ),
    Phase(
        "conversations",
        lambda: chat_selectors.all_conversations().values_list("pk"),
        lambda row: {"id": str(row[0])},
        """UNWIND $rows AS row
        MERGE (c:Conversation {key: $space + ':' + row.id}) ON CREATE SET c.space = $space, c.conversation_id = row.id
        SET c.run = $run""",
    ),
    Phase(
        "memberships",
        lambda: chat_selectors.all_memberships().values_list("pk", "user_id", "conversation_id"),
        lambda row: {"a": row[1], "b": str(row[2])},
        _edge_cypher("MEMBER_OF", to_conversation=True),
    ),
    Phase(
        "follows",
        lambda: Follow.objects.values_list("pk", "follower_id", "followee_id"),
        _pair,
        _edge_cypher("FOLLOWS"),
    ),
    Phase(
        "friendships",
        # One row per pair (the mirror's FRIEND edge goes from the lower id), not per direction.
        lambda: Friendship.objects.filter(user_id__lt=F("friend_id")).values_list("pk", "user_id", "friend_id"),
        _pair,
        _edge_cypher("FRIEND"),
    ),
    Phase(
        "requests",
        lambda: FriendRequest.objects.values_list("pk", "from_user_id", "to_user_id"),
        _pair,
        _edge_cypher("REQUESTED"),
    ),
    Phase("blocks", lambda: Block.objects.values_list("pk", "blocker_id", "blocked_id"), _pair, _edge_cypher("BLOCKS")),
)
PHASE_NAMES = [phase.name for phase in PHASES]

CHECKPOINT_MOVE = """
WITH count(*) AS copied
MATCH (cp:GraphRebuild {space: $space})
SET cp.phase = $phase, cp.last = $last
RETURN copied
"""


@dataclass
class Checkpoint:
    run: str
    started: int
    phase: str
    last: str | None


def progress_bar(phase, total, done):
    return tqdm(total=total, initial=done, desc=f"{phase:>13}", unit="rows", file=sys.stderr)


class SimulatedCrash(Exception):
    """--stop-after-batches reached (the command turns it into os._exit)."""


def load_checkpoint(space):
    rows = cypher(
        "MATCH (cp:GraphRebuild {space: $space}) RETURN cp.run, cp.started, cp.phase, cp.last", {"space": space}
    )
    return Checkpoint(*rows[0]) if rows else None


def start_checkpoint(space):
    checkpoint = Checkpoint(run=uuid.uuid4().hex, started=now_ms(), phase=PHASE_NAMES[0], last=None)
    cypher(
        """MERGE (cp:GraphRebuild {space: $space})
        SET cp.run = $run, cp.started = $started, cp.phase = $phase, cp.last = null""",
        {"space": space, "run": checkpoint.run, "started": checkpoint.started, "phase": checkpoint.phase},
    )
    return checkpoint


def clear_checkpoint(space):
    cypher("MATCH (cp:GraphRebuild {space: $space}) DELETE cp", {"space": space})


def rebuild(space, *, batch_size, progress, restart=False, stop_after_batches=None, log=print):
    """Copy the truth into `space`, resuming an interrupted run unless `restart`.

    progress(phase name, total, done) returns a tqdm-like bar (update, close): progress_bar.
    """
    checkpoint = None if restart else load_checkpoint(space)
    if checkpoint is None:
        checkpoint = start_checkpoint(space)
        log(f"rebuild {checkpoint.run}: starting")
    else:
        log(f"rebuild {checkpoint.run}: resuming at {checkpoint.phase}, after key {checkpoint.last}")
    batches = 0
    params = {"space": space, "run": checkpoint.run}
    for phase in PHASES[PHASE_NAMES.index(checkpoint.phase) :] if checkpoint.phase in PHASE_NAMES else ():
        rows = phase.rows().order_by("pk")
        last = checkpoint.last if phase.name == checkpoint.phase else None
        done = rows.filter(pk__lte=last).count() if last is not None else 0
        bar = progress(phase.name, rows.count(), done)
        while True:
            page = rows.filter(pk__gt=last) if last is not None else rows
            batch = list(page[:batch_size])
            if not batch:
                break
            last = str(batch[-1][0])
            cypher(
                phase.cypher + CHECKPOINT_MOVE,
                {**params, "rows": [phase.to_param(row) for row in batch], "phase": phase.name, "last": last},
            )
            bar.update(len(batch))
            batches += 1
            if stop_after_batches is not None and batches >= stop_after_batches:
                bar.close()
                raise SimulatedCrash(f"stopped after {batches} batches, in {phase.name} after key {last}")
        bar.close()
        following = PHASE_NAMES.index(phase.name) + 1
        next_phase = PHASE_NAMES[following] if following < len(PHASE_NAMES) else "sweep"
        cypher(
            "MATCH (cp:GraphRebuild {space: $space}) SET cp.phase = $phase, cp.last = null",
            {**params, "phase": next_phase},
        )
    removed = sweep(space, checkpoint)
    clear_checkpoint(space)
    log(f"rebuild {checkpoint.run}: done; swept {removed} stale nodes and edges")
    return removed


def sweep(space, checkpoint):
    """Delete the space's edges, then nodes, that this run did not confirm and no sync touched since
    it began: what the truth no longer has."""
    params = {"space": space, "run": checkpoint.run, "started": checkpoint.started, "batch": SWEEP_BATCH}
    stale = "coalesce(x.run, '') <> $run AND coalesce(x.at, 0) < $started"
    statements = [
        f"MATCH (:User {{space: $space}})-[x]->() WHERE {stale} WITH x LIMIT $batch DELETE x RETURN count(*)",
        f"MATCH (x:User {{space: $space}}) WHERE {stale} WITH x LIMIT $batch DETACH DELETE x RETURN count(*)",
        f"MATCH (x:Conversation {{space: $space}}) WHERE {stale} WITH x LIMIT $batch DETACH DELETE x RETURN count(*)",
    ]
    removed = 0
    for statement in statements:
        while True:
            count = cypher(statement, params)[0][0]
            removed += count
            if count < SWEEP_BATCH:
                break
    return removed


# --- verify ---

# kind -> (rows of the truth, Cypher returning the same tuples from the mirror)
VERIFY = {
    "users": (
        lambda: User.objects.values_list("pk", "is_active"),
        "MATCH (u:User {space: $space}) RETURN u.user_id, u.active",
    ),
    "conversations": (
        lambda: (
            (str(pk),)
            for pk in chat_selectors.all_conversations().values_list("pk", flat=True).iterator(chunk_size=5000)
        ),
        "MATCH (c:Conversation {space: $space}) RETURN c.conversation_id",
    ),
    "memberships": (
        lambda: (
            (user_id, str(conversation_id))
            for user_id, conversation_id in chat_selectors.all_memberships()
            .values_list("user_id", "conversation_id")
            .iterator(chunk_size=5000)
        ),
        "MATCH (u:User {space: $space})-[:MEMBER_OF]->(c:Conversation) RETURN u.user_id, c.conversation_id",
    ),
    "follows": (
        lambda: Follow.objects.values_list("follower_id", "followee_id"),
        "MATCH (a:User {space: $space})-[:FOLLOWS]->(b) RETURN a.user_id, b.user_id",
    ),
    "friendships": (
        lambda: Friendship.objects.filter(user_id__lt=F("friend_id")).values_list("user_id", "friend_id"),
        "MATCH (a:User {space: $space})-[:FRIEND]->(b) RETURN a.user_id, b.user_id",
    ),
    "requests": (
        lambda: FriendRequest.objects.values_list("from_user_id", "to_user_id"),
        "MATCH (a:User {space: $space})-[:REQUESTED]->(b) RETURN a.user_id, b.user_id",
    ),
    "blocks": (
        lambda: Block.objects.values_list("blocker_id", "blocked_id"),
        "MATCH (a:User {space: $space})-[:BLOCKS]->(b) RETURN a.user_id, b.user_id",
    ),
}


@dataclass(frozen=True)
class Tally:
    count: int
    checksum: int


def tally(rows):
    """Count and an order-free checksum of tuples: the sum of a 64-bit hash of each, mod 2**64.
    A lost, extra, duplicated or altered row changes it."""
    count = checksum = 0
    for row in rows:
        digest = hashlib.blake2b(repr(tuple(row)).encode(), digest_size=8).digest()
        checksum = (checksum + int.from_bytes(digest, "big")) % 2**64
        count += 1
    return Tally(count, checksum)


def verify(space):
    """{kind: (truth tally, mirror tally)}, for every kind the mirror copies."""
    report = {}
    for kind, (truth, query) in VERIFY.items():
        rows = truth()
        if hasattr(rows, "iterator"):
            rows = rows.iterator(chunk_size=5000)
        report[kind] = (tally(rows), tally(tuple(record.values()) for record in stream(query, {"space": space})))
    return report
