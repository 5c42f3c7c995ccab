"""A whole workspace as a folder of files, and back: users, conversations, memberships, and every
conversation's log with its seqs (messages, edits, reactions, pins, tombstones, events).

    DIR/manifest.json               written last: its presence means the export is complete
    DIR/tables/<table>.jsonl        one row per line (chatsite.portable), in key order
    DIR/messages/<conversation>.jsonl  the log in ranges of seqs, one chunk per line (chats.transfer)

The manifest holds, per file, its sha256, and per table and conversation what verify compares: a
table's row count and checksum, a conversation's last seq, message and event counts and digest.

Both directions resume. The export writes each file whole under a temporary name and renames it,
so a file that exists is complete and a rerun skips it. The import keeps a checkpoint (how far each
table got, the last conversation finished); loading is keyed, so the batch a kill interrupted is
simply loaded again, and a conversation's log continues from the target's latest seq.

Run both with writes stopped (maintenance mode), like migrate_store: a conversation that changes
while it is exported is caught by --verify.
"""

import hashlib
import json
import os
import uuid
from itertools import islice
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from tqdm import tqdm

from accounts.transfer import USERS
from chats.backends import get_store
from chats.transfer import (
    CONVERSATIONS,
    MEMBERSHIPS,
    Checkpoint,
    Digest,
    all_counters,
    chunk_from_json,
    chunk_to_json,
    chunks,
    digest,
)
from chatsite.portable import canonical

FORMAT = 1
TABLES = (USERS, CONVERSATIONS, MEMBERSHIPS)  # in load order: each refers only to those before it
BATCH = 1000


class WorkspaceError(Exception):
    """Something an operator must fix (a wrong folder, a damaged file, a non-empty target)."""


class Interrupted(Exception):
    """Raised by stop_after: a test's stand-in for a kill or Ctrl-C half way."""


class _Budget:
    """Counts units of work and raises Interrupted after `limit` of them (None: never)."""

    def __init__(self, limit):
        self.left = limit

    def spend(self):
        if self.left is not None:
            self.left -= 1
            if self.left <= 0:
                raise Interrupted


def _sha256(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            sha.update(block)
    return sha.hexdigest()


def _write_lines(path: Path, lines) -> int:
    """Write the lines under a temporary name, then rename: the file is whole or absent."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    count = 0
    with partial.open("w", encoding="utf-8") as f:
        for line in lines:
            f.write(line + "\n")
            count += 1
    os.replace(partial, path)
    return count


def _table_checksum(lines) -> tuple[int, str]:
    sha, count = hashlib.sha256(), 0
    for line in lines:
        sha.update(line.encode() + b"\n")
        count += 1
    return count, sha.hexdigest()


def read_manifest(directory: Path) -> dict:
    path = directory / "manifest.json"
    if not path.exists():
        raise WorkspaceError(f"{directory} holds no finished export (no manifest.json): run export_workspace again.")
    manifest = json.loads(path.read_text())
    if manifest.get("format") != FORMAT:
        raise WorkspaceError(f"export format {manifest.get('format')!r} is not the one this version reads ({FORMAT})")
    return manifest


# --- export ---


def export_workspace(directory: Path, *, span=500, restart=False, stop_after=None) -> dict:
    """Write the workspace to `directory`; returns the manifest."""
    manifest_path = directory / "manifest.json"
    if restart:
        manifest_path.unlink(missing_ok=True)
        for path in [*directory.glob("tables/*"), *directory.glob("messages/*")]:
            path.unlink()
    elif manifest_path.exists():
        return read_manifest(directory)
    budget, store = _Budget(stop_after), get_store()
    tables = {}
    for table in TABLES:
        path = directory / "tables" / f"{table.name}.jsonl"
        if not path.exists():
            rows = tqdm(table.dump(), total=table.count(), unit="row", desc=table.name)
            _write_lines(path, (canonical(row) for row in rows))
            budget.spend()
        with path.open(encoding="utf-8") as lines:
            count, checksum = _table_checksum(line.rstrip("\n") for line in lines)
        tables[table.name] = {"file": str(path.relative_to(directory)), "count": count, "checksum": checksum}

    logs = list(all_counters(store))
    conversations = {}
    with tqdm(total=sum(last for _, last in logs), unit="seq", desc="messages") as bar:
        for conversation_id, last in logs:
            path = directory / "messages" / f"{conversation_id}.jsonl"
            digest_path = path.with_suffix(".digest")
            if not digest_path.exists():
                _export_log(store, conversation_id, span, path, digest_path)
                budget.spend()
            conversations[str(conversation_id)] = {
                "file": str(path.relative_to(directory)),
                "digest": json.loads(digest_path.read_text()),
            }
            bar.update(last)

    manifest = {
        "format": FORMAT,
        "export_id": str(uuid.uuid4()),
        "created_at": timezone.now().isoformat(),
        "message_store": settings.MESSAGE_STORE,
        "tables": tables,
        "conversations": conversations,
        "files": {
            entry["file"]: _sha256(directory / entry["file"]) for entry in [*tables.values(), *conversations.values()]
        },
    }
    partial = manifest_path.with_suffix(".partial")
    partial.write_text(json.dumps(manifest, indent=1))
    os.replace(partial, manifest_path)
    return manifest


def _export_log(store, conversation_id, span, path, digest_path):
    d = Digest()

    def lines():
        for after, upto, chunk in chunks(store, conversation_id, span):
            d.add(after, upto, chunk)
            yield chunk_to_json(chunk)

    _write_lines(path, lines())
    # The digest is written after the log: a log without its digest is exported again.
    digest_path.write_text(json.dumps(d.result()))


# --- import ---


def check_files(directory: Path, manifest: dict) -> list[str]:
    """The files that are missing or differ from their checksum in the manifest."""
    bad = []
    for name, checksum in tqdm(manifest["files"].items(), unit="file", desc="checking files"):
        path = directory / name
        if not path.exists() or _sha256(path) != checksum:
            bad.append(name)
    return bad


def _is_empty(store) -> bool:
    return not any(table.count() for table in TABLES) and next(all_counters(store), None) is None


def import_workspace(directory: Path, state_dir: Path, *, restart=False, stop_after=None) -> dict:
    """Load an export into this deployment's database and message store; returns what it did."""
    manifest = read_manifest(directory)
    if bad := check_files(directory, manifest):
        raise WorkspaceError(f"{len(bad)} files are missing or damaged, e.g. {bad[0]}")
    checkpoint = Checkpoint(state_dir / f"import-{manifest['export_id']}.json")
    if restart:
        checkpoint.forget()
    store, budget = get_store(), _Budget(stop_after)
    if not checkpoint.state and not _is_empty(store):
        raise WorkspaceError("this deployment already has users, conversations or messages: import into a fresh one")
    resumed = bool(checkpoint.state)
    checkpoint.save(started=True)

    for table in TABLES:
        _import_table(directory, manifest, table, checkpoint, budget)

    done_through = checkpoint.state.get("done_through")
    todo = sorted(c for c in manifest["conversations"] if done_through is None or c > done_through)
    loaded = 0
    with tqdm(total=sum(manifest["conversations"][c]["digest"][0] for c in todo), unit="seq", desc="messages") as bar:
        for key in todo:
            conversation_id = uuid.UUID(key)
            have = store.latest_seq(conversation_id)
            seen = 0
            with (directory / manifest["conversations"][key]["file"]).open(encoding="utf-8") as lines:
                for line in lines:
                    chunk = chunk_from_json(line)
                    if chunk.last_seq > have:  # what a rerun already loaded is skipped
                        store.load(chunk)
                        loaded += 1
                        budget.spend()
                    bar.update(chunk.last_seq - seen)
                    seen = chunk.last_seq
            checkpoint.save(done_through=key)
    checkpoint.save(finished=True)
    return {"chunks": loaded, "conversations": len(todo), "resumed": resumed}


def _import_table(directory, manifest, table, checkpoint, budget):
    entry = manifest["tables"][table.name]
    done = checkpoint.state.get("rows", {}).get(table.name, 0)
    if done >= entry["count"]:
        return
    with (directory / entry["file"]).open(encoding="utf-8") as f:
        rows = (json.loads(line) for line in islice(f, done, None))
        with tqdm(total=entry["count"], initial=done, unit="row", desc=table.name) as bar:
            while batch := list(islice(rows, BATCH)):
                table.load(batch)
                done += len(batch)
                checkpoint.save(rows={**checkpoint.state.get("rows", {}), table.name: done})
                bar.update(len(batch))
                budget.spend()
    table.reset_sequence()


# --- verify ---


def verify(manifest: dict) -> list[str]:
    """What differs between this deployment and the export: counts and checksums of every table,
    and each conversation's last seq, message and event counts and digest. Empty: they match."""
    differ = []
    for table in TABLES:
        want = manifest["tables"][table.name]
        count, checksum = _table_checksum(canonical(row) for row in table.dump())
        if (count, checksum) != (want["count"], want["checksum"]):
            differ.append(f"table {table.name}: {count} rows vs {want['count']} exported, checksums differ")
    store = get_store()
    here = {str(c) for c, _ in all_counters(store)}
    for key in sorted(here | manifest["conversations"].keys()):
        want = manifest["conversations"].get(key, {}).get("digest")
        got = digest(store, uuid.UUID(key)) if key in here else None
        if got != want:
            differ.append(f"conversation {key}: {_describe(got)} here vs {_describe(want)} exported")
    return differ


def _describe(d):
    return "nothing" if d is None else f"last seq {d[0]}, {d[1]} messages, {d[2]} events, digest {d[3][:12]}"
