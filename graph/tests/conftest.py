import uuid

import pytest

from graph.backends import get_backend
from streaming import bus
from streaming.models import OutboxEvent
from testkit.services import require_service


@pytest.fixture
def deliver(db):
    """Hand the unsent outbox to the graph's handlers in order, as the relay and consumers would.

    (Inside a test's transaction nothing commits, so the in-process after-commit path never runs.)
    Only the graph's handlers: other apps' handlers are their tests' business.
    """

    def run():
        for event in OutboxEvent.objects.filter(sent_at=None).order_by("occurred_at"):
            envelope = event.envelope()
            for handler in bus.handlers_for(event.type):
                if handler.__module__ == "graph.handlers":
                    handler(envelope)
            OutboxEvent.objects.filter(pk=event.pk).update(sent_at=event.occurred_at)

    return run


@pytest.fixture
def neo4j_space(settings):
    """A Neo4j space of this test's own, deleted afterwards: other suites' nodes are never touched."""
    require_service("neo4j")
    from graph.backends.neo4j_nodes import drop_space, install_schema

    space = f"test-graph-{uuid.uuid4().hex[:12]}"
    settings.GRAPH_NEO4J_SPACE = space
    install_schema()
    yield space
    drop_space(space)


@pytest.fixture(params=["sql", pytest.param("neo4j", marks=pytest.mark.services)])
def backend(request, settings, db):
    """Each adapter in turn, selected the way production selects it (GRAPH_BACKEND)."""
    settings.GRAPH_BACKEND = request.param
    if request.param == "neo4j":
        request.getfixturevalue("neo4j_space")
    return get_backend()
