# Neo4j 5.26 LTS Community with Bolt only, jars from Maven Central.
# shellcheck shell=bash

NEO4J_POM=$SVC_DIR/neo4j/pom.xml
NEO4J_VERSION=$(pom_property "$NEO4J_POM" neo4j.version)
NEO4J_LIBS=$CACHE_DIR/neo4j-$NEO4J_VERSION/libs
NEO4J_HOME=$STATE_DIR/neo4j
NEO4J_PATTERN=org.neo4j.server.CommunityEntryPoint
# The JVM flags neo4j's stock neo4j.conf adds; Netty and the page cache need
# the add-opens on Java 17. Heap is fixed here because without the neo4j
# launcher script the server.memory.heap.* settings are not applied.
NEO4J_JAVA_OPTS=(-Xms256m -Xmx768m -XX:+UseG1GC -XX:-OmitStackTraceInFastThrow
    -XX:+ExitOnOutOfMemoryError -Djdk.nio.maxCachedBufferSize=1024
    --add-opens=java.base/java.nio=ALL-UNNAMED
    --add-opens=java.base/java.io=ALL-UNNAMED
    --add-opens=java.base/sun.nio.ch=ALL-UNNAMED
    -Dio.netty.tryReflectionSetAccessible=true -Dlog4j2.disable.jmx=true)
# Setting names are validated strictly: a typo stops the server.
NEO4J_SETTINGS=(
    server.default_listen_address=127.0.0.1
    server.bolt.enabled=true
    "server.bolt.listen_address=127.0.0.1:$NEO4J_PORT"
    "server.bolt.advertised_address=127.0.0.1:$NEO4J_PORT"
    server.http.enabled=false
    server.https.enabled=false
    dbms.security.auth_enabled=false
    dbms.usage_report.enabled=false
    server.memory.pagecache.size=128m
)

neo4j_install() { need_java neo4j; maven_libs "$NEO4J_POM" "$NEO4J_LIBS"; }

neo4j_ready() {
    log_has neo4j "Started." && port_open "$NEO4J_PORT"
}

neo4j_start() {
    if live_pid neo4j "$NEO4J_PATTERN" >/dev/null; then return 0; fi
    port_free neo4j "$NEO4J_PORT" || return 1
    neo4j_install
    mkdir -p "$NEO4J_HOME"
    rotate_log neo4j
    local args=() s
    for s in "${NEO4J_SETTINGS[@]}"; do args+=(-c "$s"); done
    say "starting neo4j $NEO4J_VERSION, bolt on 127.0.0.1:$NEO4J_PORT"
    spawn neo4j "$JAVA_BIN" "${NEO4J_JAVA_OPTS[@]}" -cp "$NEO4J_LIBS/*" \
        org.neo4j.server.CommunityEntryPoint --home-dir="$NEO4J_HOME" --console-mode "${args[@]}"
    wait_for neo4j "$START_SECONDS" "$(<"$(pid_file neo4j)")" neo4j_ready || { neo4j_stop; return 1; }
}

# Neo4j checkpoints on shutdown; that can take a while on a big store.
neo4j_stop() { stop_pid neo4j "$NEO4J_PATTERN" 60; }

neo4j_status() { status_line neo4j "$NEO4J_PORT" "$NEO4J_PATTERN"; }
