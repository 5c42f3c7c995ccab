"""Liveness and readiness. /readyz pings every configured backend with a short timeout."""

import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import unquote, urlsplit, urlunsplit

from django.conf import settings
from django.db import connection
from django.http import JsonResponse

PING_TIMEOUT = 2.0  # seconds; a probe must answer fast or the backend counts as down


def healthz(request):
    return JsonResponse({"status": "ok"})


class ProbeMiddleware:
    """Answers /healthz and /readyz before the Host check and the HTTPS redirect: orchestrators
    probe a pod by its IP over plain HTTP, and a probe must not depend on the public host name."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == "/healthz":
            return healthz(request)
        if request.path == "/readyz":
            return readyz(request)
        return self.get_response(request)


def ping_database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    # The probe runs in a worker thread: give its connection back.
    connection.close()


def ping_redis():
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=PING_TIMEOUT, socket_connect_timeout=PING_TIMEOUT)
    try:
        client.ping()
    finally:
        client.close()


def ping_mongo():
    from pymongo import MongoClient

    client = MongoClient(settings.MONGO_URL, serverSelectionTimeoutMS=int(PING_TIMEOUT * 1000))
    try:
        client.admin.command("ping")
    finally:
        client.close()


def neo4j_driver_args(url):
    """The neo4j driver refuses credentials inside the URI: split them out into `auth`."""
    parts = urlsplit(url)
    auth = (unquote(parts.username), unquote(parts.password or "")) if parts.username else None
    return urlunsplit(parts._replace(netloc=parts.hostname + (f":{parts.port}" if parts.port else ""))), auth


def ping_neo4j():
    from neo4j import GraphDatabase

    uri, auth = neo4j_driver_args(settings.NEO4J_URL)
    with GraphDatabase.driver(uri, auth=auth, connection_timeout=PING_TIMEOUT) as driver:
        driver.verify_connectivity()


def ping_kafka():
    from confluent_kafka.admin import AdminClient

    admin = AdminClient({"bootstrap.servers": settings.KAFKA_BOOTSTRAP_SERVERS, "socket.timeout.ms": 1000})
    admin.list_topics(timeout=PING_TIMEOUT)


def configured_probes():
    """The backends this deployment uses; an unset URL means the embedded default, not pinged."""
    probes = {"database": ping_database}
    if settings.REDIS_URL:
        probes["redis"] = ping_redis
    if settings.MONGO_URL:
        probes["mongo"] = ping_mongo
    if settings.NEO4J_URL:
        probes["neo4j"] = ping_neo4j
    if settings.KAFKA_BOOTSTRAP_SERVERS:
        probes["kafka"] = ping_kafka
    return probes


def _run(probe):
    started = time.perf_counter()
    try:
        probe()
        result = {"status": "up"}
    except Exception as exc:  # any failure means down; the reason goes to the operator
        result = {"status": "down", "error": f"{type(exc).__name__}: {exc}"[:300]}
    result["latency_ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


def check_backends():
    probes = configured_probes()
    with ThreadPoolExecutor(max_workers=len(probes)) as pool:
        results = dict(zip(probes, pool.map(_run, probes.values()), strict=True))
    return results


def outbox_detail():
    """Outbox lag, for the operator. Informational: it never fails the probe, because taking a
    web pod out of service does not help a relay that is behind."""
    from streaming.selectors import outbox_lag

    try:
        return outbox_lag()
    except Exception as exc:
        return {"error": f"{type(exc).__name__}: {exc}"[:300]}


def readyz(request):
    backends = check_backends()
    ready = all(b["status"] == "up" for b in backends.values())
    body = {"status": "ready" if ready else "unavailable", "backends": backends}
    if backends["database"]["status"] == "up":
        body["outbox"] = outbox_detail()
    return JsonResponse(body, status=200 if ready else 503)
