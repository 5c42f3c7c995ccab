"""Consumer groups: their Kafka names carry the deployment's prefix, each subscribes only to the
topics of its own handlers, and the README names every group the deployment runs."""

import re
import threading
import uuid

import pytest
from confluent_kafka import Consumer, TopicPartition
from django.core.management import CommandError, call_command
from django.db import transaction

from streaming import bus
from streaming.consumer import EventConsumer
from streaming.events import emit, handled_topics, topic_for
from streaming.kafka import consumer_config, group_id
from streaming.management.commands import consume_events
from streaming.tests.test_relay import drain
from testkit.services import ROOT

GRAPH_TOPICS = {"chat.graph", "chat.member", "chat.user"}


def test_a_group_id_carries_the_topic_prefix(settings):
    settings.KAFKA_TOPIC_PREFIX = "acme."
    assert group_id("graph-sync") == "acme.graph-sync"
    assert consumer_config("graph-sync")["group.id"] == "acme.graph-sync"


def test_a_group_is_a_static_member_only_with_an_instance_id(settings):
    assert "group.instance.id" not in consumer_config("graph-sync")
    assert consumer_config("graph-sync", instance_id="consumer-0")["group.instance.id"] == "consumer-0"


def test_the_graph_handlers_need_the_graph_member_and_user_topics_only(settings):
    settings.KAFKA_TOPIC_PREFIX = "acme."
    assert set(handled_topics(["graph"])) == {"acme." + t for t in GRAPH_TOPICS}
    assert handled_topics(["no_such_app"]) == []


def test_a_group_whose_handlers_are_missing_refuses_to_start(settings):
    settings.KAFKA_BOOTSTRAP_SERVERS = settings.KAFKA_BOOTSTRAP_SERVERS or "127.0.0.1:9"
    with pytest.raises(CommandError, match="no event handler"):
        call_command("consume_events", "--group", "x", "--handlers", "no_such_app")


@pytest.mark.services
@pytest.mark.django_db
def test_offsets_are_committed_under_the_prefixed_group_id(kafka):
    group = f"g-{uuid.uuid4().hex}"
    topic = topic_for("moderation.reported")
    with transaction.atomic():
        emit("moderation.reported", key="k", payload={})
    drain()

    stats = EventConsumer(group, [topic]).run(threading.Event(), max_messages=1, idle_seconds=10)

    assert stats["received"] == 1

    def committed(kafka_group):
        reader = Consumer({"bootstrap.servers": kafka.KAFKA_BOOTSTRAP_SERVERS, "group.id": kafka_group})
        try:
            offsets = reader.committed([TopicPartition(topic, p) for p in range(3)], timeout=10)
            return sum(max(tp.offset, 0) for tp in offsets)
        finally:
            reader.close()

    assert committed(kafka.KAFKA_TOPIC_PREFIX + group) == 1
    assert committed(group) == 0


@pytest.mark.services
@pytest.mark.django_db
def test_consume_events_with_the_graph_handlers_never_reads_the_message_topic(kafka, capsys, monkeypatch):
    # The command's SIGTERM and SIGINT handlers are not for the test process.
    monkeypatch.setattr(consume_events, "stop_on_signals", threading.Event)
    with transaction.atomic():
        emit("message.created", key=str(uuid.uuid4()), payload={"text": "not for the graph"})
        emit("graph.followed", key=1, payload={"follower_id": 1, "followee_id": 2})
    drain()
    group = f"g-{uuid.uuid4().hex}"

    call_command("consume_events", "--group", group, "--handlers", "graph", "--idle-exit", "3")

    out = capsys.readouterr().out
    assert "'received': 1" in out and "'handled': 1" in out, out


# --- the README's table of the groups a deployment runs ---


def readme_groups():
    """{group: command} from the README's "Consumer groups" table."""
    text = (ROOT / "README.md").read_text()
    section = text.split("### Consumer groups", 1)[1].split("\n#", 1)[0]
    rows = re.findall(r"^\| `([^`]+)` \| `([^`]+)` \|", section, flags=re.M)
    return dict(rows)


def handler_apps():
    """The top-level packages that register handlers (tests' own handlers aside)."""
    modules = {h.__module__ for funcs in bus._handlers.values() for h in funcs}
    return {m.split(".", 1)[0] for m in modules if ".tests" not in m and not m.startswith("bench")}


def test_the_readme_names_one_group_per_app_with_handlers():
    groups = readme_groups()
    assert groups, "no group in the README's Consumer groups table"
    named = {}
    for group, command in groups.items():
        assert f"consume_events --group {group} " in command, command
        assert "--instance-id" in command, f"{group}: each process needs its own instance id"
        handlers = re.search(r"--handlers ((?:[\w.]+ ?)+)", command)
        assert handlers, f"{group} runs every handler: name its app with --handlers"
        for app in handlers.group(1).split():
            assert app not in named, f"{app}'s handlers run in both {named.get(app)} and {group}"
            named[app] = group
    assert set(named) == handler_apps()


def deployed_groups():
    """{file: {(group, handlers)}} of the consumers that the compose files and k8s manifests run
    (the image's entrypoint: `consumer NAME [consume_events args]`)."""
    import yaml

    found = {}

    def add(path, args):
        if args and args[0] == "consumer":
            handlers = args[args.index("--handlers") + 1] if "--handlers" in args else None
            instance = "--instance-id" in args
            found.setdefault(path.name, set()).add((args[1], handlers, instance))

    for path in sorted((ROOT / "docker").glob("compose.*.yml")):
        for service in (yaml.safe_load(path.read_text()).get("services") or {}).values():
            add(path, list(service.get("command") or []))
    for path in sorted((ROOT / "k8s" / "base").glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            spec = ((doc or {}).get("spec") or {}).get("template", {}).get("spec", {})
            for container in spec.get("containers", []):
                add(path, list(container.get("args") or []))
    return found


def test_compose_and_k8s_run_exactly_the_groups_the_readme_names():
    wanted = set()
    for group, command in readme_groups().items():
        handlers = re.search(r"--handlers ([\w.]+)", command).group(1)
        wanted.add((group, handlers, True))
    deployed = deployed_groups()
    assert set(deployed) >= {"compose.dev.yml", "compose.stage.yml", "compose.prod.yml", "consumer.yaml"}
    for name, groups in deployed.items():
        assert groups == wanted, f"{name} runs {groups}"
