# PostgreSQL 15 from Debian, as a private cluster under the state folder.
# shellcheck shell=bash

PG_DATA=$STATE_DIR/postgres
PG_SOCK=$RUN_DIR/pgsock
PG_PATTERN=bin/postgres
PG_DATABASES=(chatsite ferretdb)

pg_bin_dir() {
    local d
    for d in /usr/lib/postgresql/15/bin /usr/lib/postgresql/*/bin; do
        [[ -x $d/pg_ctl ]] && { echo "$d"; return 0; }
    done
    return 1
}

postgres_install() {
    pg_bin_dir >/dev/null || apt_install postgresql
    PG_BIN=$(pg_bin_dir) || die "postgres binaries not found after apt-get install postgresql"
}

# Postgres refuses to run as root, so the server runs as the `postgres` OS
# user. `cd /` because that user may not be allowed into root's cwd.
as_pg() {
    if ((EUID == 0)); then
        (cd / && runuser -u postgres -- "$@")
    else
        "$@"
    fi
}

# The clone may sit under folders only root may enter; the postgres user
# needs search (x) permission on every ancestor of its data dir.
pg_grant_traverse() {
    ((EUID == 0)) || return 0
    as_pg test -x "$PG_DATA" 2>/dev/null && return 0
    # Top-down, so each check only fails on that folder's own permissions.
    local part path='' parts
    IFS=/ read -ra parts <<<"${STATE_DIR#/}"
    for part in "${parts[@]}"; do
        path=$path/$part
        if ! as_pg test -x "$path" 2>/dev/null; then
            say "postgres: granting search permission (o+x) on $path so the postgres user can reach its data"
            chmod o+x "$path"
        fi
    done
    as_pg test -x "$PG_DATA" || die "postgres user still cannot reach $PG_DATA"
}

postgres_init() {
    mkdir -p "$PG_DATA" "$PG_SOCK"
    if ((EUID == 0)); then chown postgres:postgres "$PG_DATA" "$PG_SOCK"; fi
    chmod 700 "$PG_DATA"
    pg_grant_traverse
    [[ -f $PG_DATA/PG_VERSION ]] && return 0
    say "postgres: initdb $PG_DATA"
    as_pg "$PG_BIN/initdb" -D "$PG_DATA" -A trust -U postgres -E UTF8 --locale=C.UTF-8 \
        >>"$(log_file postgres)" 2>&1 || { start_failed postgres "initdb failed"; return 1; }
}

postgres_ready() {
    "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -U postgres &&
        "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -tAqc 'select 1' | grep -qx 1
}

postgres_create_databases() {
    local db
    for db in "${PG_DATABASES[@]}"; do
        if [[ -z $("$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -tAqc \
            "select 1 from pg_database where datname = '$db'") ]]; then
            say "postgres: creating database $db"
            "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres "$db"
        fi
    done
}

postgres_start() {
    local log
    if live_pid postgres "$PG_PATTERN" >/dev/null; then return 0; fi
    port_free postgres "$PG_PORT" || return 1
    postgres_install
    rotate_log postgres
    log=$(log_file postgres)
    if ((EUID == 0)); then chown postgres:postgres "$log"; fi
    postgres_init || return 1
    say "starting postgres on 127.0.0.1:$PG_PORT"
    # Listen settings go on the command line, not into postgresql.conf, so a
    # moved state folder or clone never points at stale socket paths.
    # pg_ctl -w waits for readiness and notices a postmaster that dies early.
    if ! as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$log" -w -t 30 \
        -o "-p $PG_PORT -k $PG_SOCK -c listen_addresses=127.0.0.1" start >/dev/null 9>&-; then
        start_failed postgres "pg_ctl start failed"
        as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -m immediate stop >/dev/null 2>&1 9>&- || true
        return 1
    fi
    head -n 1 "$PG_DATA/postmaster.pid" >"$(pid_file postgres)"
    wait_for postgres "$START_SECONDS" "$(<"$(pid_file postgres)")" postgres_ready || { postgres_stop; return 1; }
    postgres_create_databases
}

postgres_stop() {
    # SIGINT is postgres' "fast" shutdown: rolls back open sessions and exits
    # cleanly; SIGTERM ("smart") would wait forever on idle test connections.
    stop_pid postgres "$PG_PATTERN" 30 INT
}

postgres_status() { status_line postgres "$PG_PORT" "$PG_PATTERN"; }
