# Shared helpers for the service scripts. Sourced by `svc`, never run directly.
# shellcheck shell=bash

SVC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SVC_DIR/../.." && pwd)

# Data and logs live in the clone (git-ignored); downloads and builds live
# outside it so a fresh clone does not fetch everything again.
STATE_DIR=${CHATSITE_STATE_DIR:-$REPO_ROOT/.state}
CACHE_DIR=${CHATSITE_CACHE_DIR:-$HOME/.cache/chatsite}
RUN_DIR=$STATE_DIR/run
LOG_DIR=$STATE_DIR/logs

# Ports: not the services' usual ones, so they never collide with a system-wide
# service, and below Linux's ephemeral range (32768-60999): a port in that range
# can be held by any client socket at the moment a service (re)starts, which made
# a restart fail with "address already in use" while a test held many sockets.
# Used by the service files and `svc env`. Each can be moved by its variable, so
# a second set of services (another state folder) can run beside the first.
# shellcheck disable=SC2034
PG_PORT=${CHATSITE_PG_PORT:-25432}
REDIS_PORT=${CHATSITE_REDIS_PORT:-26379}
KAFKA_PORT=${CHATSITE_KAFKA_PORT:-29092}
KAFKA_CONTROLLER_PORT=${CHATSITE_KAFKA_CONTROLLER_PORT:-29093}
NEO4J_PORT=${CHATSITE_NEO4J_PORT:-27687}
FERRETDB_PORT=${CHATSITE_FERRETDB_PORT:-27027}
# The S3 gateway; SeaweedFS's inner servers take the seven ports above it.
S3_PORT=${CHATSITE_S3_PORT:-28333}
# The Redis Cluster's three nodes take this port and the next two; their cluster bus the three above.
# By default 1000 above Redis's, so that a run that moves Redis (a parallel port set) moves it too.
REDIS_CLUSTER_PORT=${CHATSITE_REDIS_CLUSTER_PORT:-$((${REDIS_PORT//[^0-9]/} + 1000))}
for _port in PG_PORT REDIS_PORT KAFKA_PORT KAFKA_CONTROLLER_PORT NEO4J_PORT FERRETDB_PORT S3_PORT REDIS_CLUSTER_PORT; do
    [[ ${!_port} =~ ^[0-9]+$ ]] && ((${!_port} > 0 && ${!_port} < 65536)) ||
        { echo "svc: $_port (CHATSITE_$_port) is not a port number: ${!_port}" >&2; exit 2; }
done
unset _port

JAVA_BIN=${JAVA_BIN:-java}

say() { echo "svc: $*" >&2; }
die() { say "$*"; exit 1; }

pid_file() { echo "$RUN_DIR/$1.pid"; }
log_file() { echo "$LOG_DIR/$1.log"; }

ensure_dirs() {
    mkdir -p "$STATE_DIR" "$RUN_DIR" "$LOG_DIR" "$CACHE_DIR"
}

# Keep the previous run's log next to the new one: a fresh log per start makes
# "did it start?" greps unambiguous, and the last crash stays readable.
rotate_log() {
    local log
    log=$(log_file "$1")
    if [[ -s $log ]]; then mv -f "$log" "$log.prev"; fi
    : >"$log"
}

# A pid file only counts if the process is alive AND still looks like our
# service: after a reboot the number may belong to something else.
# Usage: live_pid NAME PATTERN -> prints pid, returns 0 if alive.
live_pid() {
    local pf pid
    pf=$(pid_file "$1")
    [[ -s $pf ]] || return 1
    pid=$(<"$pf")
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    if [[ -n ${2:-} ]] && ! tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$2"; then
        return 1
    fi
    echo "$pid"
}

port_open() {
    timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

# Start CMD... in its own session, detached, output appended to NAME's log;
# the pid file records the process itself (not a wrapper shell).
spawn() {
    local name=$1
    shift
    local log
    log=$(log_file "$name")
    # 9>&-: don't let the service inherit svc's lock (see svc).
    setsid nohup "$@" >>"$log" 2>&1 </dev/null 9>&- &
    echo $! >"$(pid_file "$name")"
}

# Refuse to start when something else already holds the port: otherwise the
# readiness check could be answered by that stranger and report success.
port_free() {
    local name=$1 port=$2
    if port_open "$port"; then
        say "$name: port $port on 127.0.0.1 is already in use by another process (not ours; see: ss -ltnp 'sport = :$port')"
        return 1
    fi
}

# Report a failed start the same way for every service, then clean up.
start_failed() {
    local name=$1 why=$2 log
    log=$(log_file "$name")
    say "$name did not come up ($why); log: $log"
    if [[ -f $log ]]; then
        # The cause is often far above the tail, which a JVM fills with its shutdown.
        local first
        first=$(grep -m 3 -E 'ERROR|FATAL|Address already in use' "$log" || true)
        if [[ -n $first ]]; then
            echo "----- first errors in $log -----" >&2
            echo "$first" >&2
        fi
        if grep -q 'Address already in use' "$log"; then
            say "$name: its port was taken when it started (by another server, or by a client socket: the ports lie in Linux's ephemeral range, see /proc/sys/net/ipv4/ip_local_port_range)"
        fi
        echo "----- last 20 lines of $log -----" >&2
        tail -n 20 "$log" >&2
        echo "-----" >&2
    fi
    return 1
}

# How long any service may take to come up: one setting for all of them. A loaded machine starts a
# JVM in minutes, not seconds (three Neo4j servers starting at once beside a CPU stress job on two
# cores needed more than 120 s).
START_SECONDS=${CHATSITE_START_SECONDS:-300}

# wait_for NAME TIMEOUT_SECONDS PID CHECK_CMD...
# Polls CHECK_CMD until it succeeds. Gives up early if PID dies, since a
# crashed process will never answer and waiting out the timeout wastes time.
wait_for() {
    local name=$1 timeout=$2 pid=$3
    shift 3
    local deadline=$((SECONDS + timeout))
    while ((SECONDS < deadline)); do
        if "$@" >/dev/null 2>&1; then return 0; fi
        if [[ -n $pid ]] && ! kill -0 "$pid" 2>/dev/null; then
            start_failed "$name" "process $pid exited"
            return 1
        fi
        sleep 0.5
    done
    start_failed "$name" "no answer within ${timeout}s"
    return 1
}

# log_has NAME TEXT: the current (rotated-per-start) log contains TEXT.
log_has() {
    grep -qF -- "$2" "$(log_file "$1")"
}

# stop_pid NAME PATTERN TIMEOUT [SIGNAL]
# Graceful first (SIGNAL, default TERM), SIGKILL only if it outlives TIMEOUT.
stop_pid() {
    local name=$1 pattern=$2 timeout=$3 sig=${4:-TERM} pid
    if ! pid=$(live_pid "$name" "$pattern"); then
        rm -f "$(pid_file "$name")"
        return 0
    fi
    say "stopping $name (pid $pid)"
    kill "-$sig" "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + timeout))
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.3; done
    if kill -0 "$pid" 2>/dev/null; then
        say "$name did not stop within ${timeout}s, sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        while kill -0 "$pid" 2>/dev/null; do sleep 0.2; done
    fi
    rm -f "$(pid_file "$name")"
}

# status_line NAME PORT PATTERN: one line, returns non-zero when down.
# "up" needs both a live process and an open port.
status_line() {
    local name=$1 port=$2 pattern=$3 pid
    if pid=$(live_pid "$name" "$pattern") && port_open "$port"; then
        printf '%-9s %-4s port %-5s pid %s\n' "$name" up "$port" "$pid"
    else
        printf '%-9s %-4s port %-5s pid %s\n' "$name" down "$port" "${pid:--}"
        return 1
    fi
}

# Long install steps write their chatter to one log; the terminal only gets a
# progress line, plus the log's tail if the step fails.
# Usage: run_logged "what is happening" CMD...
run_logged() {
    local what=$1 log=$LOG_DIR/install.log
    shift
    mkdir -p "$LOG_DIR"
    # Leading newline: maven ends its output with a colour reset and no newline.
    printf '\n=== %s %s: %s\n' "$(date '+%F %T')" "$what" "$*" >>"$log"
    if ! "$@" >>"$log" 2>&1 9>&-; then
        say "failed: $what; log: $log"
        echo "----- last 20 lines of $log -----" >&2
        tail -n 20 "$log" >&2
        echo "-----" >&2
        return 1
    fi
}

# apt-get update at most once per run, and only when something is missing,
# so runs after the first work offline.
_APT_UPDATED=
apt_install() {
    local sudo=()
    if ((EUID != 0)); then
        command -v sudo >/dev/null || die "need root (or sudo) to apt-get install $*"
        sudo=(sudo)
    fi
    if [[ -z $_APT_UPDATED ]]; then
        say "apt-get update"
        run_logged "apt-get update" "${sudo[@]}" apt-get update -q || exit 1
        _APT_UPDATED=1
    fi
    say "apt-get install $* (first run only)"
    run_logged "apt-get install $*" "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -q "$@" || exit 1
}

need_java() {
    command -v "$JAVA_BIN" >/dev/null || die "$1 needs Java 17 ($JAVA_BIN not found; set JAVA_BIN or apt-get install openjdk-17-jre-headless)"
}

# Build the runtime classpath of a tiny pom into DEST once. The marker holds
# the pom's checksum, so editing the pom (e.g. a version bump) refetches.
# Fills a temp folder first so an interrupted download never looks complete.
maven_libs() {
    local pom=$1 dest=$2 sum
    sum=$(sha256sum "$pom" | cut -d' ' -f1)
    if [[ -f $dest/.complete && $(<"$dest/.complete") == "$sum" ]]; then return 0; fi
    command -v mvn >/dev/null || die "mvn not found (needed to fetch $(basename "$(dirname "$pom")") jars)"
    say "downloading $(basename "$(dirname "$pom")") jars from Maven Central into $dest (first run only)"
    local tmp="$dest.tmp.$$"
    rm -rf "$tmp"
    mkdir -p "$tmp"
    # MAVEN_SETTINGS (optional): a settings file for poms whose parents name other repositories.
    if ! run_logged "maven copy-dependencies $pom" mvn -B -ntp ${MAVEN_SETTINGS:+-s "$MAVEN_SETTINGS"} -f "$pom" \
        org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy-dependencies \
        -DoutputDirectory="$tmp" -DincludeScope=runtime; then
        rm -rf "$tmp"
        exit 1
    fi
    echo "$sum" >"$tmp/.complete"
    rm -rf "$dest"
    mv "$tmp" "$dest"
}

# pom_property POM NAME: the value of <NAME> in the pom's <properties>; the
# poms are the single place where versions are pinned.
pom_property() {
    sed -n "s:.*<$2>\(.*\)</$2>.*:\1:p" "$1" | head -n 1
}
