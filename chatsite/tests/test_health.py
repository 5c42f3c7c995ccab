import pytest
from django.test import override_settings

from testkit.services import require_service, svc

TOKEN = "probe-secret-1"
DETAIL = {"HTTP_X_READYZ_TOKEN": TOKEN}


def test_healthz_answers_ok_without_touching_backends(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
@override_settings(READYZ_TOKEN=TOKEN)
def test_readyz_reports_each_backend_with_latency_to_an_internal_caller(client):
    response = client.get("/readyz", **DETAIL)
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ready"
    assert body["backends"]["database"]["status"] == "up"
    assert all(isinstance(b["latency_ms"], float) for b in body["backends"].values())


@pytest.mark.services
@pytest.mark.django_db
@override_settings(READYZ_TOKEN=TOKEN)
def test_readyz_pings_every_configured_service(client):
    for name in ("redis", "kafka", "neo4j", "ferretdb", "s3"):
        require_service(name)
    body = client.get("/readyz", **DETAIL).json()
    services = {"database", "redis", "kafka", "neo4j", "neo4j_schema", "mongo", "ml_models", "storage"}
    assert set(body["backends"]) == services
    assert {b["status"] for b in body["backends"].values()} == {"up"}


@pytest.mark.services
@pytest.mark.django_db
@override_settings(READYZ_TOKEN=TOKEN)
def test_readyz_is_503_and_names_the_backend_while_redis_is_stopped(client):
    require_service("redis")
    svc("stop", "redis")
    try:
        response = client.get("/readyz", **DETAIL)
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


# --- who sees what ---


@pytest.mark.django_db
def test_anonymous_readyz_answers_only_the_status_whatever_the_host(client):
    response = client.get("/readyz", HTTP_HOST="evil.example")
    assert response.status_code == 200
    assert response.json() == {"status": "ready"}


@pytest.mark.django_db
@override_settings(READYZ_TOKEN=TOKEN)
def test_a_wrong_token_gets_only_the_status(client):
    assert client.get("/readyz", HTTP_X_READYZ_TOKEN="guess").json() == {"status": "ready"}


@pytest.mark.django_db
@override_settings(READYZ_TOKEN="")
def test_no_token_is_accepted_when_none_is_configured(client):
    assert client.get("/readyz", HTTP_X_READYZ_TOKEN="").json() == {"status": "ready"}


@pytest.mark.django_db
def test_staff_see_the_detail_by_session_and_by_token_and_other_users_do_not(client):
    from rest_framework.test import APIClient

    from accounts.models import User

    staff = User.objects.create_user("ops", password="plum-Orchard-42-violet", is_staff=True)
    user = User.objects.create_user("bob", password="plum-Orchard-42-violet")
    client.force_login(staff)
    body = client.get("/readyz").json()
    assert body["backends"]["database"]["status"] == "up"
    assert "unsent" in body["outbox"]
    client.force_login(user)
    assert client.get("/readyz").json() == {"status": "ready"}

    for person, sees in [(staff, True), (user, False)]:
        token = APIClient().post(
            "/api/v1/auth/login", {"username": person.username, "password": "plum-Orchard-42-violet"}, format="json"
        )
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Token {token.json()['token']}")
        assert ("backends" in api.get("/readyz").json()) is sees
    bad = APIClient()
    bad.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert bad.get("/readyz").json() == {"status": "ready"}


# --- critical and degraded backends ---


def _down():
    raise ConnectionError("refused")


@pytest.mark.django_db
@override_settings(READYZ_TOKEN=TOKEN, KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:1", NEO4J_URL="bolt://127.0.0.1:1")
def test_kafka_or_neo4j_down_is_degraded_and_still_ready(client, monkeypatch):
    from chatsite import health

    monkeypatch.setattr(health, "ping_kafka", _down)
    monkeypatch.setattr(health, "ping_neo4j", _down)
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "degraded"}
    body = client.get("/readyz", **DETAIL).json()
    assert body["backends"]["kafka"] == {**body["backends"]["kafka"], "status": "down", "critical": False}
    assert "refused" in body["backends"]["kafka"]["error"]
    assert body["backends"]["database"]["critical"] is True


@pytest.mark.django_db
@override_settings(READYZ_TOKEN=TOKEN, REDIS_URL="redis://127.0.0.1:1/0")
def test_a_critical_backend_down_is_503_with_only_the_status_in_public(client, monkeypatch):
    from chatsite import health

    monkeypatch.setattr(health, "ping_redis", _down)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable"}
    assert client.get("/readyz", **DETAIL).json()["backends"]["redis"]["critical"] is True


@pytest.mark.django_db
@override_settings(REDIS_URL="redis://127.0.0.1:1/0")
def test_probes_reuse_one_client_per_backend(client, monkeypatch):
    from chatsite import health

    made = []

    class FakeRedis:
        def ping(self):
            return True

    monkeypatch.setattr(health, "_clients", {})
    monkeypatch.setattr(health, "_redis_client", lambda url: made.append(url) or FakeRedis())
    for _ in range(3):
        assert client.get("/readyz").status_code == 200
    assert made == ["redis://127.0.0.1:1/0"]


def test_health_imports_no_other_app():
    import ast
    from pathlib import Path

    import chatsite.health

    tree = ast.parse(Path(chatsite.health.__file__).read_text())
    modules = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    modules |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    apps = {"accounts", "chats", "graph", "streaming", "moderation", "analytics", "ml", "notifications", "web"}
    assert not {m.split(".")[0] for m in modules if m} & apps


@pytest.mark.services
@pytest.mark.django_db
@override_settings(READYZ_TOKEN=TOKEN)
def test_an_unreachable_s3_store_is_degraded_not_unavailable(client, settings):
    require_service("s3")
    from files.backends import get_storage

    port = _free_port()
    settings.STORAGE_URL = f"s3://key:secret@127.0.0.1:{port}/nowhere?tls=false"
    get_storage.cache_clear()
    try:
        response = client.get("/readyz", **DETAIL)
    finally:
        get_storage.cache_clear()
    body = response.json()
    assert response.status_code == 200
    assert body["status"] == "degraded"
    assert body["backends"]["storage"]["status"] == "down" and body["backends"]["storage"]["critical"] is False


def _free_port():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
