"""The OpenAPI schema documents every graph endpoint with its error responses."""

import pytest
from django.urls import include, path
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

GRAPH = "/api/v1/graph"
PATHS = {
    f"{GRAPH}/following": {"get"},
    f"{GRAPH}/following/{{user_id}}": {"put", "delete"},
    f"{GRAPH}/followers": {"get"},
    f"{GRAPH}/friends": {"get"},
    f"{GRAPH}/friends/{{user_id}}": {"delete"},
    f"{GRAPH}/friend-requests/incoming": {"get"},
    f"{GRAPH}/friend-requests/incoming/{{user_id}}/accept": {"post"},
    f"{GRAPH}/friend-requests/incoming/{{user_id}}/decline": {"post"},
    f"{GRAPH}/friend-requests/outgoing": {"get"},
    f"{GRAPH}/friend-requests/outgoing/{{user_id}}": {"put", "delete"},
    f"{GRAPH}/suggestions": {"get"},
    f"{GRAPH}/suggestions/{{user_id}}/dismiss": {"post"},
    f"{GRAPH}/path/{{user_id}}": {"get"},
}


@pytest.fixture(scope="module")
def schema():
    GENERATOR_STATS.reset()
    with GENERATOR_STATS.silence():
        built = SchemaGenerator(patterns=[path("api/v1/", include("graph.api.urls"))]).get_schema(
            request=None, public=True
        )
    warnings = dict(GENERATOR_STATS._warn_cache) | dict(GENERATOR_STATS._error_cache)
    GENERATOR_STATS.reset()
    return built, warnings


def test_the_graph_schema_builds_without_warnings_and_validates(schema):
    built, warnings = schema
    assert warnings == {}
    validate_schema(built)


def test_every_graph_endpoint_is_documented_with_json_errors(schema):
    built, _ = schema
    graph_paths = {p: ops for p, ops in built["paths"].items() if p.startswith(GRAPH)}
    assert {p: set(ops) & {"get", "post", "put", "delete"} for p, ops in graph_paths.items()} == PATHS
    for url, operations in graph_paths.items():
        for method in PATHS[url]:
            responses = operations[method]["responses"]
            errors = {code for code in responses if code[0] in "45"}
            assert "401" in errors, (url, method)
            if "{user_id}" in url:
                assert "404" in errors, (url, method)
            for code in errors:
                assert responses[code]["content"]["application/json"]["schema"]["$ref"].endswith("/Error")


def test_operation_ids_are_unique(schema):
    built, _ = schema
    ids = [op["operationId"] for ops in built["paths"].values() for op in ops.values() if isinstance(op, dict)]
    assert len(ids) == len(set(ids))
