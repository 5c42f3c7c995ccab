# A Redis Cluster of three masters on loopback (Debian's redis-server 7, cluster mode), for the
# fan-out's sharded pub/sub (SSUBSCRIBE/SPUBLISH). No replicas and no persistence: test data is
# throwaway. Each node keeps its nodes.conf under the state folder; a node whose cluster state is
# not ok at start (a fresh folder, or nodes that lost each other) makes the whole cluster afresh.
# shellcheck shell=bash

RCLUSTER_HOME=$STATE_DIR/redis-cluster
RCLUSTER_PATTERN=redis-server

# Nodes on BASE, BASE+1, BASE+2; their cluster bus on BASE+3..BASE+5 (the default, port+10000,
# would fall in Linux's ephemeral range, see lib.sh).
rcluster_ports() { echo "$REDIS_CLUSTER_PORT" "$((REDIS_CLUSTER_PORT + 1))" "$((REDIS_CLUSTER_PORT + 2))"; }

rcluster_cli() { redis-cli -h 127.0.0.1 -p "$1" "${@:2}"; }

rcluster_node_ok() {
    rcluster_cli "$1" cluster info 2>/dev/null | tr -d '\r' | grep -qx 'cluster_state:ok'
}

rcluster_ready() {
    local port
    for port in $(rcluster_ports); do rcluster_node_ok "$port" || return 1; done
}

rcluster_node_up() { [[ $(rcluster_cli "$1" ping 2>/dev/null) == PONG ]]; }

rcluster_alive() {
    local i
    for i in 0 1 2; do live_pid "redis-cluster-$i" "$RCLUSTER_PATTERN" >/dev/null || return 1; done
}

# The ten seconds each node may take to answer; the waits give up early if a node dies.
rcluster_wait_nodes() {
    local i=0 port
    for port in $(rcluster_ports); do
        wait_for "redis-cluster-$i" "$START_SECONDS" "$(<"$(pid_file "redis-cluster-$i")")" rcluster_node_up "$port" || return 1
        i=$((i + 1))
    done
}

redis_cluster_start() {
    if rcluster_alive; then return 0; fi
    redis_install
    local i=0 port fresh=
    for port in $(rcluster_ports); do
        if ! live_pid "redis-cluster-$i" "$RCLUSTER_PATTERN" >/dev/null; then
            port_free redis-cluster "$port" || return 1
            port_free redis-cluster "$((port + 3))" || return 1
            mkdir -p "$RCLUSTER_HOME/$i"
            [[ -s $RCLUSTER_HOME/$i/nodes.conf ]] || fresh=1
            rotate_log "redis-cluster-$i"
            say "starting redis-cluster node $i on 127.0.0.1:$port"
            spawn "redis-cluster-$i" redis-server --port "$port" --bind 127.0.0.1 --protected-mode yes \
                --cluster-enabled yes --cluster-port "$((port + 3))" --cluster-config-file nodes.conf \
                --cluster-node-timeout 5000 --dir "$RCLUSTER_HOME/$i" \
                --save "" --appendonly no --daemonize no --logfile ""
        fi
        i=$((i + 1))
    done
    rcluster_wait_nodes || { redis_cluster_stop; return 1; }
    # Nodes that knew each other find each other again from nodes.conf; give them a moment.
    if [[ -z $fresh ]] && wait_quietly 15 rcluster_ready; then return 0; fi
    rcluster_create || { redis_cluster_stop; return 1; }
}

# wait_quietly SECONDS CHECK...: like wait_for, without reporting a failure.
wait_quietly() {
    local deadline=$((SECONDS + $1))
    shift
    while ((SECONDS < deadline)); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.5
    done
    return 1
}

# Forget whatever the nodes held (an old or half-made cluster), then assign the 16384 slots
# across the three masters, and wait until every node says the cluster is ok.
rcluster_create() {
    local port nodes=()
    for port in $(rcluster_ports); do
        rcluster_cli "$port" flushall >/dev/null 2>&1 || true
        rcluster_cli "$port" cluster reset hard >/dev/null || return 1
        nodes+=("127.0.0.1:$port")
    done
    say "creating the redis cluster on ${nodes[*]}"
    run_logged "redis-cli --cluster create" redis-cli --cluster create "${nodes[@]}" \
        --cluster-replicas 0 --cluster-yes || return 1
    wait_for redis-cluster-0 "$START_SECONDS" "$(<"$(pid_file redis-cluster-0)")" rcluster_ready
}

redis_cluster_stop() {
    local i
    for i in 2 1 0; do stop_pid "redis-cluster-$i" "$RCLUSTER_PATTERN" 10; done
}

redis_cluster_status() {
    local i=0 port rc=0
    for port in $(rcluster_ports); do
        status_line "redis-cluster-$i" "$port" "$RCLUSTER_PATTERN" || rc=1
        i=$((i + 1))
    done
    if ((rc == 0)) && ! rcluster_ready; then
        say "redis-cluster: nodes are up but cluster_state is not ok"
        rc=1
    fi
    return "$rc"
}
