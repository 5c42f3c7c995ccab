"""manage.py export_workspace / import_workspace: a workspace exported and imported into an empty
deployment comes back whole (users, conversations, memberships, messages with their seqs, edits,
reactions, pins, tombstones, the event log) on either message store, verify passes and catches
damage, and both commands continue after an interruption instead of starting over."""

import json

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import transaction

from chats import actions
from chats.backends import get_store
from chats.models import Conversation, Membership
from testkit.factories import group_of, send

pytestmark = pytest.mark.django_db(transaction=True)
User = get_user_model()


def build(alice, bob, carol):
    """Two conversations with everything a log holds, and a third with a member who left."""
    team = group_of(alice, bob, carol, title="Team")
    actions.do_update_conversation(alice, team.id, topic="Plans")
    sent = [send(alice if i % 2 else bob, team, f"message {i}") for i in range(9)]
    actions.do_edit_message(bob, team.id, sent[0].id, "first, edited")
    actions.do_react(alice, team.id, sent[1].id, "👍")
    actions.do_react(carol, team.id, sent[1].id, "👍")
    actions.do_react(bob, team.id, sent[2].id, "🎉")
    actions.do_set_pinned(alice, team.id, sent[3].id, True)
    actions.do_delete_message(bob, team.id, sent[4].id)
    actions.do_leave(carol, team.id)
    direct, _ = actions.do_open_direct(alice, bob)
    send(alice, direct, "just us")
    quiet = group_of(bob, carol, title="Quiet")
    actions.do_mark_read(bob, team.id, 3)
    return [team, direct, quiet]


def snapshot():
    """What readers of this deployment see, without the times of messages (Mongo keeps ms)."""
    store = get_store()
    users = list(User.objects.order_by("pk").values_list("pk", "username", "password", "is_bot", "date_joined"))
    conversations = list(Conversation.objects.order_by("pk").values_list("pk", "kind", "title", "topic", "created_at"))
    members = list(
        Membership.objects.order_by("conversation_id", "user_id").values_list(
            "conversation_id", "user_id", "role", "last_read_seq", "joined_at"
        )
    )
    logs = {}
    for conversation_id, *_ in conversations:
        messages = store.page(conversation_id, after=0, limit=100)
        events = store.events_after(conversation_id, 0, 100)
        logs[conversation_id] = (
            store.latest_seq(conversation_id),
            [(m.id, m.seq, m.sender_id, m.text, m.is_deleted, m.reactions, m.pinned_by_id) for m in messages],
            [(e.seq, e.type, e.message_id, e.actor_id, e.data) for e in events],
            {m.id: [h.text for h in store.history(m.id)] for m in messages},
        )
    return users, conversations, members, logs


def test_an_exported_workspace_imports_into_an_empty_deployment_whole_and_verified(
    store, emptied, alice, bob, carol, tmp_path
):
    build(alice, bob, carol)
    before = snapshot()
    call_command("export_workspace", str(tmp_path / "ws"), "--verify", "--batch-size", "4", stdout=(out := _Out()))
    assert "verified" in out.text

    emptied()
    assert not User.objects.exists() and next(iter(get_store().counters(None, 1)), None) is None
    call_command(
        "import_workspace", str(tmp_path / "ws"), "--state-dir", str(tmp_path / "state"), "--verify", stdout=out
    )

    assert "verified: 3 tables and 3 conversations match" in out.text
    assert snapshot() == before
    # The deployment goes on from where the export left off: the next seq, the next user id.
    team = Conversation.objects.get(title="Team")
    last = get_store().latest_seq(team.id)
    assert send(User.objects.get(username="alice"), team, "after the move").seq == last + 1
    assert User.objects.create_user("dave").pk > max(u.pk for u in (alice, bob, carol))


@pytest.mark.services
def test_a_workspace_moves_from_the_sql_store_to_the_mongo_store(settings, mongo_url, alice, bob, carol, tmp_path):
    settings.MESSAGE_STORE = "sql"
    get_store.cache_clear()
    build(alice, bob, carol)
    before = snapshot()
    call_command("export_workspace", str(tmp_path / "ws"), stdout=_Out())

    call_command("flush", interactive=False, verbosity=0)
    settings.MESSAGE_STORE, settings.MONGO_URL = "mongo", mongo_url
    get_store.cache_clear()
    try:
        call_command(
            "import_workspace", str(tmp_path / "ws"), "--state-dir", str(tmp_path / "state"), "--verify", stdout=_Out()
        )
        assert snapshot() == before
    finally:
        get_store().close()
        get_store.cache_clear()


def test_an_interrupted_import_continues_where_it_stopped(emptied, alice, bob, carol, tmp_path):
    build(alice, bob, carol)
    before = snapshot()
    call_command("export_workspace", str(tmp_path / "ws"), "--batch-size", "3", stdout=_Out())
    emptied()
    args = ["import_workspace", str(tmp_path / "ws"), "--state-dir", str(tmp_path / "state")]

    # 3 table batches and then a few log chunks: it stops inside the first conversation's log.
    with pytest.raises(CommandError, match="stopped as asked"):
        call_command(*args, "--stop-after", "5", stdout=_Out())
    assert User.objects.count() == 3 and snapshot() != before

    call_command(*args, "--verify", stdout=(out := _Out()))
    assert "imported (resumed, " in out.text
    loaded = int(out.text.split("resumed, ")[1].split()[0])
    total = sum(len(_lines(path)) for path in (tmp_path / "ws" / "messages").glob("*.jsonl"))
    assert loaded == total - 2  # the two chunks loaded before the stop are not loaded again
    assert snapshot() == before


def test_an_interrupted_export_continues_and_keeps_the_files_it_finished(alice, bob, carol, tmp_path):
    build(alice, bob, carol)
    directory = tmp_path / "ws"
    with pytest.raises(CommandError, match="stopped as asked"):
        call_command("export_workspace", str(directory), "--stop-after", "4", stdout=_Out())
    assert not (directory / "manifest.json").exists()
    finished = {p: p.stat().st_mtime_ns for p in (directory / "messages").glob("*.jsonl")}
    assert len(finished) == 1

    call_command("export_workspace", str(directory), "--verify", stdout=(out := _Out()))
    assert "verified" in out.text
    assert all(p.stat().st_mtime_ns == mtime for p, mtime in finished.items())
    assert len(json.loads((directory / "manifest.json").read_text())["conversations"]) == 3


def test_verify_names_a_damaged_file_and_a_conversation_that_differs(emptied, alice, bob, carol, tmp_path):
    team, *_ = build(alice, bob, carol)
    directory = tmp_path / "ws"
    call_command("export_workspace", str(directory), stdout=_Out())
    emptied()
    call_command("import_workspace", str(directory), "--state-dir", str(tmp_path / "state"), stdout=_Out())

    with transaction.atomic():  # a change below the actions, so that no table changes with it
        get_store().append_event(team.id, "conversation.updated", None, {"topic": "changed after the import"})
    with pytest.raises(CommandError) as failure:
        call_command("import_workspace", str(directory), "--verify-only", stdout=(out := _Out()))
    assert out.text.startswith(f"differs: conversation {team.id}: last seq "), out.text
    assert str(failure.value) == "1 differences", out.text

    log = directory / "messages" / f"{team.id}.jsonl"
    log.write_text(log.read_text().replace("message 5", "message 6"))
    with pytest.raises(CommandError, match=f"files are missing or damaged: messages/{team.id}.jsonl"):
        call_command("import_workspace", str(directory), "--verify-only", stdout=_Out())


def test_import_refuses_a_deployment_that_has_data_and_an_unfinished_export(alice, bob, carol, tmp_path):
    build(alice, bob, carol)
    directory = tmp_path / "ws"
    with pytest.raises(CommandError, match="stopped as asked"):
        call_command("export_workspace", str(directory), "--stop-after", "1", stdout=_Out())
    with pytest.raises(CommandError, match="no finished export"):
        call_command("import_workspace", str(directory), "--state-dir", str(tmp_path / "state"))

    call_command("export_workspace", str(directory), stdout=_Out())
    with pytest.raises(CommandError, match="import into a fresh one"):
        call_command("import_workspace", str(directory), "--state-dir", str(tmp_path / "state"))


def _lines(path):
    return path.read_text().splitlines()


class _Out:
    def __init__(self):
        self.text = ""

    def write(self, text):
        self.text += text

    def flush(self):
        pass
