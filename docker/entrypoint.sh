#!/bin/sh
# Runs one chatsite role per container. Every role `exec`s, so the server itself gets SIGTERM
# from tini (PID 1) and shuts down cleanly.
#
#   web                      ASGI server on 0.0.0.0:8000 (migrate first when RUN_MIGRATIONS=1)
#   worker [celery args]     Celery worker
#   beat [celery args]       Celery beat; run exactly one, or periodic tasks fire twice
#   relay [args]             outbox -> Kafka relay (manage.py relay_outbox)
#   consumer NAME [args]     Kafka consumer group NAME (manage.py consume_events --group NAME)
#   manage ARGS...           any manage.py command (migrate, createsuperuser, shell, ...)
#   wait-for-migrations      block until the database schema is current (init containers)
#   healthcheck              exit 0 when the web role answers /healthz (Docker HEALTHCHECK)
#   anything else            run as a command, e.g. `sh` for debugging
set -eu

cd /app

role=${1:-web}
if [ "$#" -gt 0 ]; then shift; fi

case "$role" in
web)
    if [ "${RUN_MIGRATIONS:-0}" = "1" ]; then
        # Convenient for a single container; with several web replicas run the migration once
        # (compose `migrate` service, Kubernetes Job) instead, or they race each other.
        python manage.py migrate --noinput
    fi
    # uvicorn, not gunicorn+UvicornWorker: the pinned uvicorn deprecates uvicorn.workers, and the
    # orchestrator already restarts and scales processes, so a second supervisor adds nothing.
    # uvicorn[standard] brings uvloop, httptools and a C WebSocket implementation, which is
    # faster than daphne (kept for `runserver`). Workers per container: $WEB_CONCURRENCY
    # (default 1; scale with replicas). Trusted proxies: $FORWARDED_ALLOW_IPS.
    # Lifespan is off because Django/Channels do not implement it. The graceful timeout must
    # stay below the orchestrator's stop grace period: open WebSockets are closed when it ends
    # and clients resume losslessly elsewhere.
    # The loop, HTTP parser and WebSocket implementation are the ones bench/ws_load measured
    # fastest (websockets-sansio writes frames with far less Python than the legacy one).
    exec uvicorn chatsite.asgi:application \
        --host 0.0.0.0 --port 8000 \
        --loop uvloop --http httptools --ws websockets-sansio \
        --lifespan off \
        --proxy-headers \
        --no-server-header \
        --timeout-graceful-shutdown "${WEB_GRACEFUL_TIMEOUT:-20}" \
        "$@"
    ;;
worker)
    exec celery -A chatsite worker --loglevel "${LOG_LEVEL:-INFO}" "$@"
    ;;
beat)
    # The schedule lives in the database (django-celery-beat), so beat needs no local file and
    # runs on a read-only filesystem.
    exec celery -A chatsite beat --loglevel "${LOG_LEVEL:-INFO}" \
        --scheduler django_celery_beat.schedulers:DatabaseScheduler "$@"
    ;;
relay)
    exec python manage.py relay_outbox "$@"
    ;;
consumer)
    if [ "$#" -lt 1 ]; then
        echo "usage: entrypoint.sh consumer NAME [args]" >&2
        exit 64
    fi
    group=$1
    shift
    exec python manage.py consume_events --group "$group" "$@"
    ;;
manage)
    exec python manage.py "$@"
    ;;
wait-for-migrations)
    # `migrate --check` exits non-zero while migrations are unapplied. Processes of a new
    # release wait here until the migration job has run, instead of running against an old
    # schema. A rolled-back (older) release passes at once: extra applied migrations are fine.
    until python manage.py migrate --check >/dev/null; do
        echo "waiting for database migrations..." >&2
        sleep 5
    done
    ;;
healthcheck)
    # Django answers 400 to a Host it does not allow, so the probe sends the first concrete
    # entry of ALLOWED_HOSTS (or HEALTHCHECK_HOST). /healthz is exempt from the HTTPS redirect.
    exec python - <<'PY'
import os
import sys
import urllib.request

hosts = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "").split(",")]
concrete = [h.lstrip(".") for h in hosts if h and h != "*"]
host = os.environ.get("HEALTHCHECK_HOST") or (concrete[0] if concrete else "localhost")
request = urllib.request.Request("http://127.0.0.1:8000/healthz", headers={"Host": host})
try:
    with urllib.request.urlopen(request, timeout=4) as response:
        sys.exit(0 if response.status == 200 else 1)
except Exception as exc:
    print(f"healthcheck failed: {exc}", file=sys.stderr)
    sys.exit(1)
PY
    ;;
*)
    exec "$role" "$@"
    ;;
esac
