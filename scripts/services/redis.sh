# Redis from Debian, in the foreground under our own pid file, no persistence.
# shellcheck shell=bash

REDIS_DATA=$STATE_DIR/redis
REDIS_PATTERN=redis-server

redis_install() {
    command -v redis-server >/dev/null && command -v redis-cli >/dev/null && return 0
    apt_install redis-server
}

redis_ready() {
    [[ $(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null) == PONG ]]
}

redis_start() {
    if live_pid redis "$REDIS_PATTERN" >/dev/null; then return 0; fi
    port_free redis "$REDIS_PORT" || return 1
    redis_install
    mkdir -p "$REDIS_DATA"
    rotate_log redis
    say "starting redis on 127.0.0.1:$REDIS_PORT"
    # Test data is throwaway: no RDB snapshots, no AOF.
    spawn redis redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --protected-mode yes \
        --dir "$REDIS_DATA" --save "" --appendonly no --daemonize no --logfile ""
    wait_for redis "$START_SECONDS" "$(<"$(pid_file redis)")" redis_ready || { redis_stop; return 1; }
}

redis_stop() { stop_pid redis "$REDIS_PATTERN" 10; }

redis_status() { status_line redis "$REDIS_PORT" "$REDIS_PATTERN"; }
