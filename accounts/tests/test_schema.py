import pytest
from django.urls import include, path
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

OURS = [
    path("api/v1/", include("accounts.api.urls")),
    path("api/v1/", include("graph.api.urls")),
]
PATHS = {
    "/api/v1/auth/register": {"post"},
    "/api/v1/auth/login": {"post"},
    "/api/v1/auth/login/two-factor": {"post"},
    "/api/v1/auth/login/passkey-options": {"post"},
    "/api/v1/auth/logout": {"post"},
    "/api/v1/auth/logout-all": {"post"},
    "/api/v1/auth/password": {"post"},
    "/api/v1/me": {"get", "patch"},
    "/api/v1/me/two-factor": {"get"},
    "/api/v1/me/two-factor/enrol": {"post"},
    "/api/v1/me/two-factor/confirm": {"post"},
    "/api/v1/me/two-factor/disable": {"post"},
    "/api/v1/me/two-factor/recovery-codes": {"post"},
    "/api/v1/me/passkeys": {"get", "post"},
    "/api/v1/me/passkeys/options": {"post"},
    "/api/v1/me/passkeys/{passkey_id}/remove": {"post"},
    "/api/v1/bots": {"get", "post"},
    "/api/v1/bots/{bot_id}/tokens": {"post", "delete"},
    "/api/v1/users": {"get"},
    "/api/v1/users/{user_id}": {"get"},
    "/api/v1/blocks": {"get"},
    "/api/v1/blocks/{user_id}": {"put", "delete"},
}
PUBLIC = {"/api/v1/auth/register", "/api/v1/auth/login", "/api/v1/auth/login/two-factor"}
PUBLIC |= {"/api/v1/auth/login/passkey-options"}


@pytest.fixture
def schema():
    GENERATOR_STATS.reset()
    with GENERATOR_STATS.silence():
        built = SchemaGenerator(patterns=OURS).get_schema(request=None, public=True)
    warnings = dict(GENERATOR_STATS._warn_cache) | dict(GENERATOR_STATS._error_cache)
    GENERATOR_STATS.reset()
    return built, warnings


def test_schema_of_accounts_and_graph_builds_without_warnings_and_validates(schema):
    built, warnings = schema
    assert warnings == {}
    validate_schema(built)


def test_schema_lists_every_endpoint_with_its_error_responses(schema):
    built, _ = schema
    # The social graph's endpoints (/api/v1/graph/) have their own test in graph/tests/test_schema.py.
    paths = {p: ops for p, ops in built["paths"].items() if not p.startswith("/api/v1/graph/")}
    assert {p: set(ops) & {"get", "post", "patch", "put", "delete"} for p, ops in paths.items()} == PATHS
    for url, operations in paths.items():
        for method in PATHS[url]:
            responses = operations[method]["responses"]
            errors = {code for code in responses if code.startswith("4")}
            assert errors, (url, method)
            assert url in PUBLIC or "401" in errors, (url, method)
            for code in errors:
                ref = responses[code]["content"]["application/json"]["schema"]["$ref"]
                assert ref.endswith("/Error"), (url, method, code)


def test_the_schema_endpoint_answers(client):
    assert client.get("/api/schema/").status_code == 200
