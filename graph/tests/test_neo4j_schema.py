"""The Neo4j mirror's indexes: /readyz says which are missing, and graph_schema installs them all."""

import pytest
from django.test import override_settings

from graph.backends import neo4j_nodes

pytestmark = pytest.mark.services

TOKEN = "probe-secret-graph"


def test_an_installed_schema_has_every_declared_index(neo4j_space):
    declared = neo4j_nodes.expected_indexes()
    assert {("User", "key"), ("User", "space"), ("Conversation", "key"), ("GraphRebuild", "space")} <= declared
    assert neo4j_nodes.missing_indexes() == []


@override_settings(READYZ_TOKEN=TOKEN)
def test_readyz_names_a_missing_index_while_neo4j_serves_the_graph(neo4j_space, settings, client, monkeypatch):
    absent = ("User", "never_indexed")
    declared = neo4j_nodes.expected_indexes()
    monkeypatch.setattr(neo4j_nodes, "expected_indexes", lambda: {*declared, absent})
    settings.GRAPH_BACKEND = "neo4j"
    with pytest.raises(neo4j_nodes.SchemaMissing, match=r"User\.never_indexed: run manage\.py graph_schema"):
        neo4j_nodes.schema_probe()
    probe = client.get("/readyz", HTTP_X_READYZ_TOKEN=TOKEN).json()["backends"]["neo4j_schema"]
    assert probe["status"] == "down" and probe["critical"] is False and "User.never_indexed" in probe["error"]

    settings.GRAPH_BACKEND = "sql"  # the relational tables answer: the mirror's indexes do not matter
    neo4j_nodes.schema_probe()
