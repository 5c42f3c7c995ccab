# FerretDB 1.24 (MongoDB wire protocol) on our PostgreSQL, built from the Go
# module proxy. 1.24 is the last line whose PostgreSQL backend needs no
# extension; FerretDB 2 requires DocumentDB, which is not packaged.
# shellcheck shell=bash

FERRETDB_VERSION=v1.24.2
FERRETDB_MODULE=github.com/FerretDB/FerretDB
FERRETDB_BIN=$CACHE_DIR/ferretdb-$FERRETDB_VERSION/ferretdb
FERRETDB_HOME=$STATE_DIR/ferretdb
FERRETDB_PATTERN=ferretdb

go_bin() {
    command -v go || { [[ -x /usr/local/go/bin/go ]] && echo /usr/local/go/bin/go; } ||
        die "go not found (needed to build ferretdb)"
}

# Not `go install …@version`: that binary panics at start because
# build/version/version.txt is not in the module zip. So build from a
# writable copy of the module with that file written in.
ferretdb_install() {
    [[ -x $FERRETDB_BIN ]] && return 0
    local go src dir
    go=$(go_bin)
    say "building ferretdb $FERRETDB_VERSION from the Go module proxy (first run only)"
    run_logged "go mod download" "$go" mod download -json "$FERRETDB_MODULE@$FERRETDB_VERSION" || exit 1
    dir=$("$go" mod download -json "$FERRETDB_MODULE@$FERRETDB_VERSION" |
        sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
    [[ -d $dir ]] || die "go mod download of $FERRETDB_MODULE@$FERRETDB_VERSION gave no module folder"
    mkdir -p "$(dirname "$FERRETDB_BIN")"
    src=$(mktemp -d "$(dirname "$FERRETDB_BIN")/src.XXXXXX")
    cp -r "$dir/." "$src/"
    chmod -R u+w "$src"
    echo "$FERRETDB_VERSION" >"$src/build/version/version.txt"
    # ferretdb_no_sqlite: we only use the PostgreSQL backend.
    if ! run_logged "go build ferretdb" "$go" build -C "$src" -buildvcs=false -tags ferretdb_no_sqlite \
        -o "$FERRETDB_BIN.tmp" ./cmd/ferretdb; then
        rm -rf "$src" "$FERRETDB_BIN.tmp"
        exit 1
    fi
    rm -rf "$src"
    mv "$FERRETDB_BIN.tmp" "$FERRETDB_BIN"
}

ferretdb_ready() {
    log_has ferretdb "Listening on" && port_open "$FERRETDB_PORT"
}

ferretdb_start() {
    if live_pid ferretdb "$FERRETDB_PATTERN" >/dev/null; then return 0; fi
    # Stores everything in the `ferretdb` database of our postgres.
    postgres_start
    port_free ferretdb "$FERRETDB_PORT" || return 1
    ferretdb_install
    mkdir -p "$FERRETDB_HOME"
    rotate_log ferretdb
    say "starting ferretdb $FERRETDB_VERSION on 127.0.0.1:$FERRETDB_PORT"
    spawn ferretdb "$FERRETDB_BIN" --handler=postgresql \
        "--postgresql-url=postgres://postgres@127.0.0.1:$PG_PORT/ferretdb" \
        "--listen-addr=127.0.0.1:$FERRETDB_PORT" "--state-dir=$FERRETDB_HOME" \
        --telemetry=disable --debug-addr=-
    wait_for ferretdb "$START_SECONDS" "$(<"$(pid_file ferretdb)")" ferretdb_ready || { ferretdb_stop; return 1; }
}

ferretdb_stop() { stop_pid ferretdb "$FERRETDB_PATTERN" 15; }

ferretdb_status() { status_line ferretdb "$FERRETDB_PORT" "$FERRETDB_PATTERN"; }
