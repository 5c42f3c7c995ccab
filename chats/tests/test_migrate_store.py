"""manage.py migrate_store: messages, events and counters arrive, a killed run resumes without losing
or doubling anything, running twice changes nothing, and --verify names what differs."""

import io
import os
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from pymongo import MongoClient

from chats.backends.mongo import MongoMessageStore
from chats.backends.sql import SqlMessageStore
from testkit.services import require_service

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

ROOT = Path(settings.BASE_DIR)


@pytest.fixture
def sql():
    require_service("postgres")  # the killed run is another process: it needs a shared database
    return SqlMessageStore()


@pytest.fixture
def mongo(mongo_url):
    store = MongoMessageStore(mongo_url)
    yield store
    store.close()


def fill(store, conversations=3, messages=12):
    """Conversations with everything a log holds: joins, sends, edits, reactions, pins, deletes."""
    ids = sorted(uuid.uuid4() for _ in range(conversations))
    with transaction.atomic():  # the SQL store's writes lock rows, as the actions that call them do
        for c in ids:
            _fill_one(store, c, messages)
    return ids


def _fill_one(store, c, messages):
    store.append_event(c, "member.joined", 1, {"user_id": 1, "role": "owner"})
    sent = []
    for i in range(messages):
        message, _ = store.send(
            conversation_id=c,
            sender_id=1 + i % 2,
            client_id=f"c{i}",
            text=f"message {i}",
            parent_id=None,
            mentions=[2] if i % 5 == 0 else [],
            mention_all=i == 3,
        )
        sent.append(message)
    store.edit(sent[0].id, "first, edited", 1)
    store.edit(sent[0].id, "first, edited again", 1)
    store.add_reaction(sent[1].id, 1, "👍")
    store.add_reaction(sent[1].id, 2, "👍")
    store.add_reaction(sent[1].id, 2, "a.b")
    store.set_pinned(sent[2].id, True, 1)
    store.delete(sent[3].id, 2)
    store.append_event(c, "conversation.updated", 1, {"title": "Renamed"})


def contents(store, conversation_id):
    """What a reader gets from one conversation, without the times (MongoDB keeps milliseconds)."""
    messages = [
        (
            m.id,
            m.seq,
            m.sender_id,
            m.text,
            m.is_deleted,
            m.pinned_by_id,
            m.reactions,
            m.mentions,
            m.mention_all,
            [h.text for h in store.history(m.id)],
        )
        for m in store.page(conversation_id, after=0, limit=1000)
    ]
    events = [(e.seq, e.type, e.message_id, e.actor_id, e.data) for e in store.events_after(conversation_id, 0, 1000)]
    return messages, events, store.latest_seq(conversation_id)


def migrate(*args, **options):
    out = io.StringIO()
    call_command("migrate_store", *args, stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue()


def run_command(state_dir, mongo_url, *args):
    """The command in a process of its own, on this test's databases."""
    database = urlparse(os.environ["DATABASE_URL"])._replace(path=f"/{connection.settings_dict['NAME']}")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "settings.test",
        "DATABASE_URL": urlunparse(database),
        "MONGO_URL": mongo_url,
    }
    return subprocess.run(
        [sys.executable, "manage.py", "migrate_store", "--state-dir", str(state_dir), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_killed_migration_resumes_and_neither_loses_nor_doubles_a_message(sql, mongo, mongo_url, tmp_path):
    ids = fill(sql, conversations=3, messages=12)  # 21 seqs each: 4 ranges of up to 6 per conversation
    killed = run_command(
        tmp_path, mongo_url, "--from", "sql", "--to", "mongo", "--batch-size", "6", "--stop-after-batches", "6"
    )
    assert killed.returncode == 3, killed.stderr
    assert (tmp_path / "sql-to-mongo.json").exists()
    copied = [mongo.latest_seq(c) for c in ids]
    assert copied[0] == 21 and 0 < copied[1] < 21 and copied[2] == 0  # stopped inside the second
    resumed = run_command(tmp_path, mongo_url, "--from", "sql", "--to", "mongo", "--batch-size", "6", "--verify")
    assert resumed.returncode == 0, resumed.stderr
    assert f"resuming after conversation {ids[0]}" in resumed.stdout
    assert "verified: 3 conversations match" in resumed.stdout
    for c in ids:
        assert contents(mongo, c) == contents(sql, c)
    # the copy is a working store: its counters go on where the source's stopped
    message, _ = mongo.send(
        conversation_id=ids[0], sender_id=1, client_id="new", text="x", parent_id=None, mentions=[], mention_all=False
    )
    assert message.seq == 22


def test_running_it_twice_or_from_scratch_again_changes_nothing(sql, mongo, mongo_url, tmp_path):
    ids = fill(sql, conversations=2, messages=5)
    options = {"source": "sql", "target": "mongo", "mongo_url": mongo_url, "state_dir": str(tmp_path), "batch_size": 4}
    migrate(**options)
    first = [contents(mongo, c) for c in ids]
    assert "copied 0 message versions" in migrate(**options)
    migrate(**options, restart=True, verify=True)
    assert [contents(mongo, c) for c in ids] == first == [contents(sql, c) for c in ids]
    with MongoClient(mongo_url) as client:
        db = client.get_default_database()
        assert (db.messages.count_documents({}), db.events.count_documents({})) == (10, 2 * 14)


def test_a_second_run_copies_what_changed_since_the_first(sql, mongo, mongo_url, tmp_path):
    [c] = fill(sql, conversations=1, messages=4)
    options = {"source": "sql", "target": "mongo", "mongo_url": mongo_url, "state_dir": str(tmp_path)}
    migrate(**options)
    old = sql.page(c, after=0, limit=1)[0]
    with transaction.atomic():
        sql.edit(old.id, "changed after the copy", 2)
        sql.add_reaction(old.id, 2, "🎉")
    migrate(**options, verify=True)
    assert contents(mongo, c) == contents(sql, c)
    assert mongo.get(old.id).text == "changed after the copy"


def test_mongo_to_sql_copies_everything_including_the_times(sql, mongo, mongo_url, tmp_path):
    ids = fill(mongo, conversations=2, messages=6)
    out = migrate(source="mongo", target="sql", mongo_url=mongo_url, state_dir=str(tmp_path), batch_size=5, verify=True)
    assert "verified: 2 conversations match" in out
    for c in ids:
        assert sql.page(c, after=0, limit=100) == mongo.page(c, after=0, limit=100)
        assert sql.events_after(c, 0, 100) == mongo.events_after(c, 0, 100)


def test_verify_names_the_conversations_that_differ_and_fails(sql, mongo, mongo_url, tmp_path):
    ids = fill(sql, conversations=3, messages=4)
    options = {"source": "sql", "target": "mongo", "mongo_url": mongo_url, "state_dir": str(tmp_path)}
    migrate(**options, verify=True)
    with MongoClient(mongo_url, uuidRepresentation="standard") as client:
        db = client.get_default_database()
        db.messages.update_one({"conversation": str(ids[1]), "seq": 3}, {"$set": {"text": "tampered"}})
        db.events.delete_one({"conversation": str(ids[2]), "seq": 2})
    out = io.StringIO()
    with pytest.raises(CommandError) as failed:
        call_command("migrate_store", **options, verify_only=True, stdout=out, stderr=io.StringIO())
    assert failed.value.returncode == 1
    assert "2 of 3 conversations differ" in str(failed.value)
    report = out.getvalue()
    assert str(ids[0]) not in report
    assert f"differs: conversation {ids[1]}" in report
    assert f"differs: conversation {ids[2]}" in report and "events 13 vs 12" in report


def test_bad_arguments_are_refused_with_a_message(mongo_url, tmp_path):
    with pytest.raises(CommandError, match="same store"):
        migrate(source="sql", target="sql", state_dir=str(tmp_path))
    with pytest.raises(CommandError, match="batch-size"):
        migrate(source="sql", target="mongo", mongo_url=mongo_url, batch_size=0, state_dir=str(tmp_path))
