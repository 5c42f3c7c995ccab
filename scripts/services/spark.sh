# Spark runs inside the analytics process (pyspark, local[*]) or on a cluster (SPARK_MASTER):
# there is no server to start here. What the tests need is the Kafka source for Structured
# Streaming, fetched once from Maven Central and handed to Spark with spark.jars.
# shellcheck shell=bash

SPARK_POM=$SVC_DIR/spark/pom.xml
SPARK_VERSION=$(pom_property "$SPARK_POM" spark.version)
SPARK_JARS_DIR=$CACHE_DIR/spark-kafka-$SPARK_VERSION

spark_install() {
    need_java spark
    # Spark's parent POM names a repository that may be unreachable: the settings send all to Central.
    MAVEN_SETTINGS=$SVC_DIR/spark/settings.xml maven_libs "$SPARK_POM" "$SPARK_JARS_DIR"
}

spark_start() { spark_install; }

spark_stop() { :; }

spark_status() {
    if [[ -f $SPARK_JARS_DIR/.complete ]]; then
        say "spark: kafka connector $SPARK_VERSION in $SPARK_JARS_DIR (no process: Spark runs in-process)"
    else
        say "spark: kafka connector not fetched yet (svc start spark)"
        return 1
    fi
}
