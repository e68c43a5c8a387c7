#!/usr/bin/env bash
# Installs the Apache Kafka broker (KRaft) from Maven Central jars into the cache.
# Idempotent: does nothing when $AUREA_CACHE/kafka/<version>/libs is complete.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

dest="$AUREA_CACHE/kafka/$KAFKA_VERSION-log4j$LOG4J_VERSION-slf4j1"
if [ -f "$dest/.complete" ]; then echo "$dest"; exit 0; fi
command -v mvn >/dev/null || die "mvn (Maven) is required to fetch the Kafka jars"
command -v java >/dev/null || die "java is required to run Kafka"

work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
cat >"$work/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dev.aurea</groupId><artifactId>kafka-runtime</artifactId><version>1</version>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j-impl</artifactId><version>$LOG4J_VERSION</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId><version>$LOG4J_VERSION</version></dependency>
  </dependencies>
</project>
POM
rm -rf "$dest"; mkdir -p "$dest/libs"
with_progress "fetching Kafka $KAFKA_VERSION jars from Maven Central" "$AUREA_CACHE/logs/kafka-install.log" \
  mvn -B -f "$work/pom.xml" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$dest/libs"
ls "$dest/libs"/kafka_2.13-*.jar >/dev/null || die "Kafka jar missing after download"
touch "$dest/.complete"
echo "$dest"
