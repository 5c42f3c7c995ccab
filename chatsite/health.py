"""Liveness and readiness.

/readyz pings every configured backend with a short timeout. Only the critical ones decide
readiness: without the database, Redis or the message store a web pod can't serve, so it leaves
the load balancer. Kafka, Neo4j, Spark and the S3 file store are degraded ones (a chat without
file downloads for a while is still a chat): the outbox rides out a Kafka outage
and the graph and analytics can wait, so taking every pod out of service for them would turn a
partial outage into a full one. They are reported, and the status says "degraded". Apps add checks
of their own with register_probe: the object store (files), and the ML models (a model that failed
to load only means sends are allowed unscored, so the pod stays in service).

Anyone gets the status. The detail (backends, latencies, errors, the outbox) goes only to a caller
that sends READYZ_TOKEN in X-Readyz-Token, or to signed-in staff.
"""

import hmac
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import unquote, urlsplit, urlunsplit

from django.conf import settings
from django.db import connection, connections
from django.http import JsonResponse
from django.utils.module_loading import import_string

PING_TIMEOUT = 2.0  # seconds; a probe must answer fast or the backend counts as down
DETAIL_HEADER = "X-Readyz-Token"


def healthz(request):
    return JsonResponse({"status": "ok"})


class ProbeMiddleware:
    """Answers /healthz and /readyz before the Host check and the HTTPS redirect: orchestrators
    probe a pod by its IP over plain HTTP, and a probe must not depend on the public host name.

    A /readyz that carries credentials (a session cookie or an Authorization header) goes on
    through the usual middleware to the routed view, which may show a staff member the detail."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == "/healthz":
            return healthz(request)
        if request.path == "/readyz" and not _carries_credentials(request):
            return readyz(request)
        return self.get_response(request)


def _carries_credentials(request):
    return "HTTP_AUTHORIZATION" in request.META or settings.SESSION_COOKIE_NAME in request.COOKIES


# --- clients, made once per process and reused by every probe ---

_clients = {}
_clients_lock = threading.Lock()


def client(name, url, factory):
    """The client for `name` at `url`, made by `factory(url)` on first use. A client reconnects by
    itself after an outage, so one per process is enough; a new URL (tests) makes a new one."""
    key = (name, url)
    with _clients_lock:
        found = _clients.get(key)
        if found is None:
            found = _clients[key] = factory(url)
        return found


def _redis_client(url):
    import redis

    return redis.Redis.from_url(url, socket_timeout=PING_TIMEOUT, socket_connect_timeout=PING_TIMEOUT)


def _mongo_client(url):
    from pymongo import MongoClient

    timeout = int(PING_TIMEOUT * 1000)
    return MongoClient(url, serverSelectionTimeoutMS=timeout, connectTimeoutMS=timeout, connect=False)


def neo4j_driver_args(url):
    """The neo4j driver refuses credentials inside the URI: split them out into `auth`."""
    parts = urlsplit(url)
    auth = (unquote(parts.username), unquote(parts.password or "")) if parts.username else None
    return urlunsplit(parts._replace(netloc=parts.hostname + (f":{parts.port}" if parts.port else ""))), auth


def _neo4j_driver(url):
    from neo4j import GraphDatabase

    uri, auth = neo4j_driver_args(url)
    return GraphDatabase.driver(uri, auth=auth, connection_timeout=PING_TIMEOUT)


def _kafka_admin(servers):
    from confluent_kafka.admin import AdminClient

    return AdminClient({"bootstrap.servers": servers, "socket.timeout.ms": 1000})


# --- probes ---


def ping_database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    # The probe runs in a worker thread: give its connection back.
    connection.close()


def ping_redis():
    client("redis", settings.REDIS_URL, _redis_client).ping()


def ping_mongo():
    client("mongo", settings.MONGO_URL, _mongo_client).admin.command("ping")


def ping_neo4j():
    client("neo4j", settings.NEO4J_URL, _neo4j_driver).verify_connectivity()


def ping_kafka():
    client("kafka", settings.KAFKA_BOOTSTRAP_SERVERS, _kafka_admin).list_topics(timeout=PING_TIMEOUT)


def ping_spark():
    """A Spark cluster's master answers on its port; local[*] runs in-process and isn't probed."""
    import socket

    parts = urlsplit(settings.SPARK_MASTER)
    with socket.create_connection((parts.hostname, parts.port or 7077), timeout=PING_TIMEOUT):
        pass


def configured_probes():
    """name -> (probe, critical) for the backends this deployment uses. An unset URL means the
    embedded default, which is not pinged."""
    probes = {"database": (ping_database, True)}
    if settings.REDIS_URL:
        probes["redis"] = (ping_redis, True)
    if settings.MONGO_URL and settings.MESSAGE_STORE == "mongo":
        probes["mongo"] = (ping_mongo, True)
    elif settings.MONGO_URL:
        probes["mongo"] = (ping_mongo, False)  # configured, but messages live in SQL
    if settings.NEO4J_URL:
        probes["neo4j"] = (ping_neo4j, False)
    if settings.KAFKA_BOOTSTRAP_SERVERS:
        probes["kafka"] = (ping_kafka, False)
    if settings.SPARK_MASTER.startswith("spark://"):
        probes["spark"] = (ping_spark, False)
    probes.update(_app_probes)
    return probes


_app_probes = {}


def register_probe(name, probe, critical=False):
    """Probe a backend that an app owns (the files app's object store): `probe()` raises when it
    is down and must give up within PING_TIMEOUT. Apps call this from AppConfig.ready(), only
    when that backend is configured (an embedded default is not pinged)."""
    _app_probes[name] = (probe, critical)


def _run(probe):
    started = time.perf_counter()
    try:
        probe()
        result = {"status": "up"}
    except Exception as exc:  # any failure means down; the reason goes to the operator
        result = {"status": "down", "error": f"{type(exc).__name__}: {exc}"[:300]}
    finally:
        # Probes run in worker threads: give back any connection an app's probe opened.
        connections.close_all()
    result["latency_ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


def check_backends():
    probes = configured_probes()
    with ThreadPoolExecutor(max_workers=len(probes)) as pool:
        results = pool.map(_run, [probe for probe, _ in probes.values()])
        backends = {}
        for (name, (_, critical)), result in zip(probes.items(), results, strict=True):
            backends[name] = {**result, "critical": critical}
    return backends


def overall_status(backends):
    if any(b["critical"] and b["status"] != "up" for b in backends.values()):
        return "unavailable"
    if any(b["status"] != "up" for b in backends.values()):
        return "degraded"
    return "ready"


# --- details for the operator ---

_details = {}


def register_detail(name, function):
    """Add `function()` (a JSON-able dict) to the detailed answer under `name`. Apps may call this
    from their AppConfig.ready(); READYZ_DETAILS in settings lists the ones wired by name."""
    _details[name] = function


def details():
    """Informational: a detail never fails the probe (taking a web pod out of service does not help
    a relay that is behind), and one that raises shows its error instead."""
    functions = {name: import_string(path) for name, path in settings.READYZ_DETAILS.items()}
    functions.update(_details)
    out = {}
    for name, function in functions.items():
        try:
            out[name] = function()
        except Exception as exc:
            out[name] = {"error": f"{type(exc).__name__}: {exc}"[:300]}
    return out


def may_see_detail(request):
    token = settings.READYZ_TOKEN
    given = request.headers.get(DETAIL_HEADER, "")
    if token and given and hmac.compare_digest(given.encode(), token.encode()):
        return True
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return user.is_active and user.is_staff
    if "HTTP_AUTHORIZATION" in request.META:
        return _token_user_is_staff(request)
    return False


def _token_user_is_staff(request):
    from knox.auth import TokenAuthentication
    from rest_framework.exceptions import APIException
    from rest_framework.request import Request

    try:
        found = TokenAuthentication().authenticate(Request(request))
    except APIException:
        return False
    return found is not None and found[0].is_active and found[0].is_staff


def readyz(request):
    backends = check_backends()
    status = overall_status(backends)
    body = {"status": status}
    if may_see_detail(request):
        body["backends"] = backends
        if backends["database"]["status"] == "up":
            body.update(details())
    return JsonResponse(body, status=503 if status == "unavailable" else 200)
