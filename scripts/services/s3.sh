# An S3-compatible object store for the files app's tests: SeaweedFS, built from the Go module
# proxy (a pseudo-version: SeaweedFS tags are not semver), one `weed server` process running its
# master, volume, filer and S3 gateway, all on 127.0.0.1. Chosen over MinIO on build and start
# time (README, "Object storage"). Signatures are checked: the gateway knows one key pair.
# shellcheck shell=bash

S3_VERSION=v0.0.0-20261109003541-7506e5f91cd6
S3_MODULE=github.com/seaweedfs/seaweedfs
S3_BIN=$CACHE_DIR/seaweedfs-$S3_VERSION/weed
S3_HOME=$STATE_DIR/seaweedfs
S3_PATTERN=weed
S3_ACCESS_KEY=chatsite
S3_SECRET_KEY=chatsite-test-secret
S3_BUCKET=chatsite

# Its inner servers take the ports just above the S3 port (gRPC ports default to port+10000,
# which is past 65535 for ports this high, so every one is named).
s3_ports() {
    S3_MASTER_PORT=$((S3_PORT + 1)) S3_VOLUME_PORT=$((S3_PORT + 2)) S3_FILER_PORT=$((S3_PORT + 3))
    S3_MASTER_GRPC=$((S3_PORT + 4)) S3_VOLUME_GRPC=$((S3_PORT + 5)) S3_FILER_GRPC=$((S3_PORT + 6))
    S3_GRPC=$((S3_PORT + 7))
}

s3_install() {
    [[ -x $S3_BIN ]] && return 0
    local go dir
    go=$(go_bin)
    say "building seaweedfs $S3_VERSION from the Go module proxy (first run only, a few minutes)"
    run_logged "go mod download seaweedfs" "$go" mod download -json "$S3_MODULE@$S3_VERSION" || exit 1
    dir=$("$go" mod download -json "$S3_MODULE@$S3_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
    [[ -d $dir ]] || die "go mod download of $S3_MODULE@$S3_VERSION gave no module folder"
    mkdir -p "$(dirname "$S3_BIN")"
    # Built in the read-only module folder: go build writes only to its own cache and -o.
    if ! run_logged "go build seaweedfs" "$go" build -C "$dir" -buildvcs=false -o "$S3_BIN.tmp" ./weed; then
        rm -f "$S3_BIN.tmp"
        exit 1
    fi
    mv "$S3_BIN.tmp" "$S3_BIN"
}

s3_config() {
    cat >"$S3_HOME/s3.json" <<JSON
{"identities": [{"name": "chatsite", "credentials": [{"accessKey": "$S3_ACCESS_KEY", "secretKey": "$S3_SECRET_KEY"}],
  "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}
JSON
}

# Ready when the gateway answers HTTP (an unsigned request gets an S3 error document); bash's
# /dev/tcp, so that no HTTP client needs installing.
s3_ready() {
    local answer
    answer=$(timeout 3 bash -c "exec 3<>/dev/tcp/127.0.0.1/$S3_PORT
        printf 'GET / HTTP/1.0\\r\\nHost: 127.0.0.1\\r\\n\\r\\n' >&3
        head -c 12 <&3" 2>/dev/null) || return 1
    [[ $answer == "HTTP/1."* ]]
}

s3_start() {
    if live_pid s3 "$S3_PATTERN" >/dev/null; then return 0; fi
    s3_ports
    local p
    for p in "$S3_PORT" "$S3_MASTER_PORT" "$S3_VOLUME_PORT" "$S3_FILER_PORT" "$S3_MASTER_GRPC" "$S3_VOLUME_GRPC" \
        "$S3_FILER_GRPC" "$S3_GRPC"; do
        port_free s3 "$p" || return 1
    done
    s3_install
    mkdir -p "$S3_HOME/data"
    s3_config
    rotate_log s3
    say "starting seaweedfs (S3 gateway) on 127.0.0.1:$S3_PORT"
    spawn s3 "$S3_BIN" server -ip=127.0.0.1 -ip.bind=127.0.0.1 "-dir=$S3_HOME/data" \
        "-master.port=$S3_MASTER_PORT" "-master.port.grpc=$S3_MASTER_GRPC" -master.volumeSizeLimitMB=64 \
        -master.telemetry=false "-volume.port=$S3_VOLUME_PORT" "-volume.port.grpc=$S3_VOLUME_GRPC" \
        -volume.max=0 -filer "-filer.port=$S3_FILER_PORT" "-filer.port.grpc=$S3_FILER_GRPC" \
        "-filer.localSocket=$S3_HOME/filer.sock" \
        -s3 "-s3.port=$S3_PORT" "-s3.port.grpc=$S3_GRPC" -s3.port.iceberg=0 -s3.port.lance=0 \
        "-s3.localSocket=$S3_HOME/s3.sock" "-s3.config=$S3_HOME/s3.json"
    wait_for s3 "$START_SECONDS" "$(<"$(pid_file s3)")" s3_ready || { s3_stop; return 1; }
}

s3_stop() { stop_pid s3 "$S3_PATTERN" 15; }

s3_status() { status_line s3 "$S3_PORT" "$S3_PATTERN"; }

s3_url() {
    echo "s3://$S3_ACCESS_KEY:$S3_SECRET_KEY@127.0.0.1:$S3_PORT/$S3_BUCKET?tls=false"
}
