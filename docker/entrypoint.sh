#!/bin/sh
# Runs one chatsite role per container. Every role `exec`s, so the server itself gets SIGTERM
# from tini (PID 1) and shuts down cleanly.
#
#   web                      ASGI server on 0.0.0.0:8000 (migrate first when RUN_MIGRATIONS=1)
#   worker [celery args]     Celery worker
#   beat [celery args]       Celery beat; run exactly one, or periodic tasks fire twice
#   relay [args]             outbox -> Kafka relay (manage.py relay_outbox)
#   consumer NAME [args]     Kafka consumer group NAME (manage.py consume_events --group NAME);
#                            an argument that is exactly $HOSTNAME becomes the container's host
#                            name (compose: `--instance-id $$HOSTNAME`)
#   manage ARGS...           any manage.py command (migrate, createsuperuser, shell, ...)
#   wait-for-migrations      block until the database schema is current (init containers)
#   healthcheck              exit 0 when the web role answers /healthz (Docker HEALTHCHECK)
#   heartbeat FILE [MAX_AGE] exit 0 when FILE was touched in the last MAX_AGE seconds (120): the
#                            liveness probe of relay and consumers (their --heartbeat-file)
#   anything else            run as a command, e.g. `sh` for debugging
#
# Every role but the two probes first runs `manage.py check --deploy` and stops when it reports
# anything: a misconfigured release fails at start instead of serving. DEPLOY_CHECK=off skips it
# (the development stack, whose settings are not meant for deployment).
set -eu

# /app in the image; the checkout when run from a working tree.
cd "$(dirname "$0")/.."

role=${1:-web}
if [ "$#" -gt 0 ]; then shift; fi

case "$role" in
healthcheck | heartbeat) ;;
*)
    if [ "${DEPLOY_CHECK:-on}" != "off" ]; then
        # Warnings count: settings.prod is meant to pass with none (README, "Configuration").
        python manage.py check --deploy --fail-level WARNING >&2 || {
            echo "entrypoint: manage.py check --deploy failed; not starting $role" >&2
            exit 1
        }
    fi
    ;;
esac

case "$role" in
web)
    if [ "${RUN_MIGRATIONS:-0}" = "1" ]; then
        # Convenient for a single container; with several web replicas run the migration once
        # (compose `migrate` service, Kubernetes Job) instead, or they race each other.
        python manage.py migrate --noinput
    fi
    # uvicorn workers under chatsite.serve, not gunicorn: the orchestrator already restarts and
    # scales processes. chatsite.serve gives each worker a SO_REUSEPORT socket of its own, so the
    # kernel spreads new connections over the workers (uvicorn's own supervisor shares one socket,
    # and the worker that wakes first takes every waiting connection); it fixes uvloop, httptools,
    # websockets-sansio (lightened: chatsite/websocket_protocol.py), lifespan off, proxy headers and no Server header. daphne is only
    # `runserver`'s server (INSTALLED_APPS). Workers per container: $WEB_CONCURRENCY (default 1;
    # scale with replicas) or `--workers N`. Trusted proxies: $FORWARDED_ALLOW_IPS.
    # The graceful timeout must stay below the orchestrator's stop grace period: open WebSockets
    # are closed when it ends and clients resume losslessly elsewhere.
    exec python -m chatsite.serve \
        --host 0.0.0.0 --port 8000 \
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
    for arg in "$@"; do
        shift
        # Single quotes on purpose: the literal token, which compose passes through unexpanded.
        # shellcheck disable=SC2016
        if [ "$arg" = '$HOSTNAME' ]; then arg=$(hostname); fi
        set -- "$@" "$arg"
    done
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
    # The probe middleware answers /healthz before the Host check and the HTTPS redirect.
    exec python - <<'PY'
import sys
import urllib.request

try:
    with urllib.request.urlopen("http://127.0.0.1:8000/healthz", timeout=4) as response:
        sys.exit(0 if response.status == 200 else 1)
except Exception as exc:
    print(f"healthcheck failed: {exc}", file=sys.stderr)
    sys.exit(1)
PY
    ;;
heartbeat)
    if [ "$#" -lt 1 ]; then
        echo "usage: entrypoint.sh heartbeat FILE [MAX_AGE]" >&2
        exit 64
    fi
    file=$1
    max_age=${2:-120}
    if [ ! -f "$file" ]; then
        echo "heartbeat: no $file yet" >&2
        exit 1
    fi
    age=$(($(date +%s) - $(stat -c %Y "$file")))
    if [ "$age" -gt "$max_age" ]; then
        echo "heartbeat: $file is $age s old (limit $max_age s): the loop is stuck" >&2
        exit 1
    fi
    ;;
*)
    exec "$role" "$@"
    ;;
esac
