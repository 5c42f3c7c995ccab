import pytest

from testkit.services import require_service, svc


def test_healthz_answers_ok_without_touching_backends(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_reports_each_backend_with_latency(client):
    response = client.get("/readyz")
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ready"
    assert body["backends"]["database"]["status"] == "up"
    assert all(isinstance(b["latency_ms"], float) for b in body["backends"].values())


@pytest.mark.services
@pytest.mark.django_db
def test_readyz_pings_every_configured_service(client):
    for name in ("redis", "kafka", "neo4j", "ferretdb"):
        require_service(name)
    body = client.get("/readyz").json()
    assert set(body["backends"]) == {"database", "redis", "kafka", "neo4j", "mongo"}
    assert {b["status"] for b in body["backends"].values()} == {"up"}


@pytest.mark.services
@pytest.mark.django_db
def test_readyz_is_503_and_names_the_backend_while_redis_is_stopped(client):
    require_service("redis")
    svc("stop", "redis")
    try:
        response = client.get("/readyz")
    finally:
        svc("start", "redis")
    body = response.json()
    assert response.status_code == 503
    assert body["status"] == "unavailable"
    assert body["backends"]["redis"]["status"] == "down"
    assert body["backends"]["database"]["status"] == "up"
    assert client.get("/readyz").status_code == 200


@pytest.mark.django_db
def test_probes_answer_whatever_the_host_header(client):
    """An orchestrator probes a pod by its IP; the public host name check must not refuse it."""
    assert client.get("/healthz", HTTP_HOST="10.1.2.3:8000").status_code == 200
    assert client.get("/readyz", HTTP_HOST="10.1.2.3:8000").status_code == 200
    assert client.get("/api/v1/conversations", HTTP_HOST="10.1.2.3:8000").status_code == 400


def test_neo4j_credentials_in_the_url_go_to_the_driver_as_auth():
    from chatsite.health import neo4j_driver_args

    assert neo4j_driver_args("bolt://neo4j:s%40cret@db:7687") == ("bolt://db:7687", ("neo4j", "s@cret"))
    assert neo4j_driver_args("bolt://127.0.0.1:7687") == ("bolt://127.0.0.1:7687", None)
