"""Copy the chat messages from one message store to the other, and check the copy.

    manage.py migrate_store --from sql --to mongo [--verify]
    manage.py migrate_store --from mongo --to sql --verify-only

Stop writes first (maintenance mode): the app must not write to the target while this runs, and
what the source gets meanwhile is copied only if its conversation's turn has not come yet. Running
it again afterwards copies what was written since.

How it copies: conversation by conversation in the source's id order, and within one in ranges of
--batch-size seqs: the events of the range, the messages they created or changed (as they are now,
with history and reactions), and the counter up to the range's end. Loading is keyed by message id
and by (conversation, seq), so a range copied twice changes nothing.

Resuming: a conversation starts where the target's log ends (its latest seq), and the checkpoint
file --state-dir/<from>-to-<to>.json (a small JSON file, replaced atomically after every range)
names the last conversation finished, so a run killed at any point goes on from there. --restart
forgets the checkpoint and copies everything again.

--verify compares both stores per conversation: the last seq, the number of messages and events,
and a sha256 over the messages (seq, id, sender, text, deleted, pinned, reactions, history...) and
the events (seq, type, message, actor, data) in seq order. It prints the conversations that differ
and exits with status 1.
"""

import os
import uuid
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from chats.transfer import Checkpoint, all_counters, digest

CRASH_EXIT_STATUS = 3


def open_store(name, mongo_url):
    if name == "sql":
        from chats.backends.sql import SqlMessageStore

        return SqlMessageStore()
    if not mongo_url:
        raise CommandError("Set MONGO_URL (or pass --mongo-url) to reach the MongoDB message store.")
    from chats.backends.mongo import MongoMessageStore

    return MongoMessageStore(mongo_url)


class Command(BaseCommand):
    help = "Copy messages, events and counters between the SQL and the MongoDB message store; resumable."

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="source", choices=["sql", "mongo"], required=True)
        parser.add_argument("--to", dest="target", choices=["sql", "mongo"], required=True)
        parser.add_argument("--batch-size", type=int, default=500, help="seqs per range (default 500)")
        parser.add_argument("--state-dir", default=str(Path(settings.BASE_DIR) / ".state" / "migrate_store"))
        parser.add_argument("--mongo-url", default=None, help="default: the MONGO_URL setting")
        parser.add_argument("--restart", action="store_true", help="forget the checkpoint; copy everything again")
        parser.add_argument("--verify", action="store_true", help="compare both stores after copying")
        parser.add_argument("--verify-only", action="store_true", help="compare both stores, copy nothing")
        parser.add_argument(
            "--stop-after-batches", type=int, default=None, help="tests: die (os._exit) after N ranges, as a crash"
        )

    def handle(self, *args, source, target, batch_size, state_dir, mongo_url, restart, **options):
        if source == target:
            raise CommandError("--from and --to name the same store.")
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        mongo_url = mongo_url or settings.MONGO_URL
        self.source, self.target = open_store(source, mongo_url), open_store(target, mongo_url)
        try:
            if not options["verify_only"]:
                checkpoint = Checkpoint(Path(state_dir) / f"{source}-to-{target}.json")
                if restart:
                    checkpoint.forget()
                self.copy(checkpoint, batch_size, options["stop_after_batches"], from_zero=restart)
            if options["verify"] or options["verify_only"]:
                self.verify()
        finally:
            for store in (self.source, self.target):
                getattr(store, "close", lambda: None)()

    def copy(self, checkpoint, batch_size, stop_after, from_zero):
        done_through = checkpoint.state.get("done_through")
        if done_through:
            self.stdout.write(f"resuming after conversation {done_through}")
        # An unfinished pass goes on after the last finished conversation; a new pass looks at all.
        todo = list(all_counters(self.source, uuid.UUID(done_through) if done_through else None))
        batches, copied = 0, 0
        with tqdm(total=sum(last for _, last in todo), unit="seq", desc="copying") as bar:
            for conversation_id, _ in todo:
                last = self.source.latest_seq(conversation_id)
                start = 0 if from_zero else min(self.target.latest_seq(conversation_id), last)
                bar.update(start)
                while start < last:
                    upto = min(start + batch_size, last)
                    chunk = self.source.export(conversation_id, start, upto)
                    try:
                        self.target.load(chunk)
                    except Exception as error:
                        raise CommandError(
                            f"conversation {conversation_id}, seqs {start + 1}-{upto}: {error}"
                        ) from error
                    checkpoint.save(current=str(conversation_id), seq=upto)
                    bar.update(upto - start)
                    start, batches, copied = upto, batches + 1, copied + len(chunk.messages)
                    if stop_after and batches >= stop_after:
                        bar.close()
                        os._exit(CRASH_EXIT_STATUS)  # a crash: no cleanup, no flush beyond the checkpoint
                checkpoint.save(done_through=str(conversation_id))
        checkpoint.save(done_through=None, current=None, seq=None)
        self.stdout.write(f"copied {copied} message versions in {batches} ranges of {len(todo)} conversations")

    def verify(self):
        heads = {}
        for store in (self.source, self.target):
            for conversation_id, _ in all_counters(store):
                heads[conversation_id] = None
        differ = []
        for conversation_id in tqdm(heads, unit="conversation", desc="verifying"):
            sides = [digest(s, conversation_id) for s in (self.source, self.target)]
            if sides[0] != sides[1]:
                differ.append((conversation_id, sides))
        for conversation_id, (ours, theirs) in differ:
            self.stdout.write(
                f"differs: conversation {conversation_id}: last seq {ours[0]} vs {theirs[0]}, "
                f"messages {ours[1]} vs {theirs[1]}, events {ours[2]} vs {theirs[2]}, "
                f"checksum {ours[3][:12]} vs {theirs[3][:12]}"
            )
        if differ:
            raise CommandError(f"{len(differ)} of {len(heads)} conversations differ", returncode=1)
        self.stdout.write(f"verified: {len(heads)} conversations match")
