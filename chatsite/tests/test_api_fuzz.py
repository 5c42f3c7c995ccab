"""schemathesis over the whole OpenAPI schema: generated requests, signed in and anonymous, must
never get a server error or an answer that breaks the schema.

Deterministic (derandomized generation from a fixed seed), so a failure reproduces. In-process
over WSGI, inside the test's transaction, so it needs no server and leaves nothing behind.
"""

import contextlib

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

pytestmark = pytest.mark.django_db

# per operation, per caller (signed in, anonymous) and per mode (valid input, invalid input):
# about 1,300 requests in all
EXAMPLES_PER_OPERATION = 5
MIN_CASES = 500
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


@pytest.fixture
def app():
    # As Django's test client does: a request must not close the connection that holds the
    # test's transaction.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def fuzz(operation, mode, headers_for, cases, failures):
    @seed(14)
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case):
        cases.append(operation.label)
        response = case.call(headers=headers_for())
        try:
            case.validate_response(response, checks=CHECKS)
        except Exception as exc:  # collect them all, then report
            failures.append(f"{operation.label} -> {response.status_code}: {str(exc)[:500]}")

    # Nothing to spoil: an operation without parameters or body has no invalid input.
    with contextlib.suppress(Unsatisfiable):
        run()


# Over the default 300 s: every operation is fuzzed four ways, and the time grows with the schema
# (not with a wait); a loaded 2-core machine took over 300 s.
@pytest.mark.timeout(1800)
def test_generated_requests_get_no_server_error_and_answers_that_match_the_schema(app):
    from knox.models import AuthToken

    from accounts.models import User

    schema = schemathesis.openapi.from_wsgi("/api/schema/", app)
    user = User.objects.create_user("fuzzer", password="plum-Orchard-42-violet")

    def signed_in():
        # A fresh token per request: a generated logout must not sign the rest of the run out.
        return {"Authorization": f"Token {AuthToken.objects.create(user)[1]}"}

    cases, failures = [], []
    operations = [result.ok() for result in schema.get_all_operations()]
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            fuzz(operation, mode, signed_in, cases, failures)
            fuzz(operation, mode, dict, cases, failures)
    assert len(cases) >= MIN_CASES, len(cases)
    assert not failures, "\n".join(failures)
