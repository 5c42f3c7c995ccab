"""`manage.py rebuild_graph --to neo4j`: copies the truth, resumes after a crash, repeats harmlessly,
and `--verify` tells a faithful mirror from a wrong one."""

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from chats.actions import do_create_conversation
from graph import actions
from graph.backends import Relation, sql_graph
from graph.backends.neo4j import Neo4jGraph
from graph.backends.neo4j_nodes import cypher
from graph.management.commands.rebuild_graph import CRASH_EXIT_CODE
from graph.rebuild import PHASE_NAMES, load_checkpoint
from testkit.services import require_service

pytestmark = pytest.mark.services

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def space(neo4j_space):
    require_service("postgres")
    return neo4j_space


def make_graph(make_user, people=12):
    users = [make_user() for _ in range(people)]
    for i, user in enumerate(users):
        for other in users[i + 1 : i + 4]:  # each befriends the next three
            actions.do_send_friend_request(user, other)
            actions.do_accept_friend_request(other, user)
        actions.do_follow(user, users[(i + 5) % people])
    actions.do_send_friend_request(users[0], users[6])
    actions.do_block(users[1], users[7])
    do_create_conversation(users[0], kind="group", title="g", member_ids=[u.pk for u in users[1:4]])
    do_create_conversation(users[2], kind="group", title="h", member_ids=[u.pk for u in users[4:6]])
    return users


def counts(space):
    query = "MATCH (a {space: $space})-[r]->() RETURN type(r), count(r) ORDER BY type(r)"
    return dict(map(tuple, cypher(query, {"space": space})))


def rebuild(space, *extra):
    call_command("rebuild_graph", "--to", "neo4j", "--space", space, *extra)


# --- in this process (the test's transaction is visible to it) ---


@pytest.mark.django_db
def test_a_rebuild_copies_the_whole_truth_and_verify_agrees(space, make_user, capsys):
    users = make_graph(make_user)
    rebuild(space)
    rebuild(space, "--verify")
    assert "matches the truth" in capsys.readouterr().out
    assert counts(space) == {"BLOCKS": 1, "FOLLOWS": 12, "FRIEND": 30, "MEMBER_OF": 7, "REQUESTED": 1}
    mirror = Neo4jGraph(space)
    assert mirror.relation(users[0].id, users[1].id) == Relation(friends=True)
    assert mirror.relation(users[7].id, users[1].id) == Relation(blocked_by=True)
    assert mirror.suggestions(users[0].id, 5) == sql_graph().suggestions(users[0].id, 5)
    assert load_checkpoint(space) is None


@pytest.mark.django_db
def test_a_second_rebuild_duplicates_nothing(space, make_user):
    make_graph(make_user)
    rebuild(space, "--batch-size", "7")
    first = counts(space)
    rebuild(space, "--batch-size", "3")
    assert counts(space) == first
    rebuild(space, "--verify")


@pytest.mark.django_db
def test_a_rebuild_removes_what_the_truth_no_longer_has(space, make_user):
    ann, ben = make_user("ann"), make_user("ben")
    mirror = Neo4jGraph(space)
    mirror.put_user(ann.id, username="ann", active=True)
    mirror.put_user(987654, username="ghost", active=True)
    mirror.put_pair(ann.id, ben.id, Relation(follows=True, friends=True))
    cypher("MATCH (n {space: $space}) SET n.at = 0 WITH n MATCH (n)-[r]->() SET r.at = 0", {"space": space})
    with pytest.raises(CommandError, match="users, follows, friendships"):
        rebuild(space, "--verify")
    rebuild(space)
    assert counts(space) == {}
    assert sorted(row[0] for row in cypher("MATCH (u:User {space: $space}) RETURN u.username", {"space": space})) == [
        "ann",
        "ben",
    ]
    rebuild(space, "--verify")


@pytest.mark.django_db
def test_verify_names_each_kind_that_differs(space, make_user):
    users = make_graph(make_user)
    rebuild(space)
    cypher(
        "MATCH (a:User {key: $a})-[r:FOLLOWS]->() DELETE r",
        {"a": Neo4jGraph(space).user_key(users[0].id)},
    )
    Neo4jGraph(space).put_pair(users[0].id, users[11].id, Relation(friends=True))  # a friendship the truth lacks
    with pytest.raises(CommandError) as caught:
        rebuild(space, "--verify")
    assert "follows, friendships" in str(caught.value)


# --- as a separate process, killed mid-way (it must see committed rows: a transactional test) ---


def run_command(space, *args):
    url = urlparse(os.environ["DATABASE_URL"])
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "settings.test",
        "DATABASE_URL": urlunparse(url._replace(path=f"/{connection.settings_dict['NAME']}")),
        "GRAPH_NEO4J_SPACE": space,
    }
    command = [sys.executable, "manage.py", "rebuild_graph", "--to", "neo4j", *args]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("crash_after", [3, 14])
def test_killed_mid_way_it_resumes_from_its_checkpoint_and_loses_nothing(space, make_user, crash_after):
    make_graph(make_user, people=20)
    crashed = run_command(space, "--batch-size", "4", "--stop-after-batches", str(crash_after))
    assert crashed.returncode == CRASH_EXIT_CODE, crashed.stderr
    checkpoint = load_checkpoint(space)
    assert checkpoint is not None and checkpoint.phase in PHASE_NAMES and checkpoint.last is not None
    assert run_command(space, "--verify").returncode == 1  # half a mirror is a mismatch

    resumed = run_command(space, "--batch-size", "4")
    assert resumed.returncode == 0, resumed.stderr
    assert f"resuming at {checkpoint.phase}, after key {checkpoint.last}" in resumed.stdout
    assert load_checkpoint(space) is None
    verified = run_command(space, "--verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "matches the truth" in verified.stdout


@pytest.mark.django_db(transaction=True)
def test_verify_exits_non_zero_on_a_mismatch(space, make_user):
    make_graph(make_user)
    assert run_command(space).returncode == 0
    cypher("MATCH (u:User {space: $space}) WITH u LIMIT 1 DETACH DELETE u", {"space": space})
    result = run_command(space, "--verify")
    assert result.returncode == 1
    assert "differs from the truth in: users" in result.stderr


def test_graph_schema_creates_the_constraints_and_can_run_again(neo4j_space, capsys):
    call_command("graph_schema")
    call_command("graph_schema")
    assert capsys.readouterr().out.count("schema is in place") == 2
    names = {row[0] for row in cypher("SHOW CONSTRAINTS YIELD name RETURN name")}
    assert {"constraint_unique_User_key", "constraint_unique_Conversation_key"} <= names
    indexes = {row[0] for row in cypher("SHOW INDEXES YIELD name RETURN name")}
    assert {"index_User_space", "index_Conversation_space"} <= indexes
