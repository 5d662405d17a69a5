#!/usr/bin/env bash
# Starts Apache Kafka (3.9.x, ZooKeeper mode) on loopback as the reference implementation for the suite
# and the side-by-side benchmark. Its jars come from Maven Central through `mvn` (pom.xml here); nothing
# of Kafka is committed.
#
#   tools/apache-kafka/start.sh --brokers 3 --zookeeper 127.0.0.1:2181 --dir /tmp/apache-kafka --port 19092
#
# Brokers get ids 1..N and ports PORT..PORT+N-1; each one's pid is written to DIR/broker-N.pid, its log
# to DIR/broker-N.log. `stop.sh --dir DIR` stops them.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
brokers=1 zk=127.0.0.1:2181 dir=/tmp/apache-kafka port=19092 extra=()
usage() { echo "usage: $0 [--brokers N] [--zookeeper HOST:PORT] [--dir DIR] [--port P] [--set key=value]..." >&2; exit 2; }
while (($#)); do
  case $1 in
    --brokers) brokers=$2; shift 2 ;;
    --zookeeper) zk=$2; shift 2 ;;
    --dir) dir=$2; shift 2 ;;
    --port) port=$2; shift 2 ;;
    --set) extra+=("$2"); shift 2 ;;
    *) usage ;;
  esac
done
[[ $brokers =~ ^[1-9][0-9]*$ && $port =~ ^[0-9]+$ ]] || usage

libs=${KAFKA_LIBS:-$HOME/.cache/kafkaspec/apache-kafka-libs}
if [[ ! -f $libs/.complete ]]; then
  echo "fetching Apache Kafka's jars from Maven Central into $libs" >&2
  mkdir -p "$libs"
  mvn -q -B -f "$here/pom.xml" dependency:copy-dependencies -DoutputDirectory="$libs" >&2
  touch "$libs/.complete"
fi

mkdir -p "$dir"
# fault.sh restarts a broker from the same jars, properties and log config.
echo "$libs" >"$dir/libs.path"
# A cluster's identity lives in ZooKeeper under its chroot; reuse it when restarting from the same dir.
if [[ -f $dir/chroot ]]; then chroot=$(cat "$dir/chroot"); else
  chroot=/kafka-ref-$$-$RANDOM
  rm -rf "$dir"/logs-*
  echo "$chroot" >"$dir/chroot"
fi
for ((i = 1; i <= brokers; i++)); do
  p=$((port + i - 1))
  props=$dir/server-$i.properties
  cat >"$props" <<PROPS
broker.id=$i
listeners=PLAINTEXT://127.0.0.1:$p
advertised.listeners=PLAINTEXT://127.0.0.1:$p
log.dirs=$dir/logs-$i
zookeeper.connect=$zk$chroot
num.partitions=1
offsets.topic.replication.factor=$((brokers < 3 ? brokers : 3))
transaction.state.log.replication.factor=$((brokers < 3 ? brokers : 3))
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
zookeeper.session.timeout.ms=6000
PROPS
  for kv in "${extra[@]}"; do echo "$kv" >>"$props"; done
  cat >"$dir/log4j-$i.properties" <<L4J
log4j.rootLogger=WARN, file
log4j.appender.file=org.apache.log4j.FileAppender
log4j.appender.file.File=$dir/broker-$i.server.log
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
L4J
  setsid java -Xmx512m -Dlog4j.configuration="file:$dir/log4j-$i.properties" -cp "$libs/*" kafka.Kafka "$props" \
    >"$dir/broker-$i.log" 2>&1 &
  echo $! >"$dir/broker-$i.pid"
done
for ((i = 1; i <= brokers; i++)); do
  p=$((port + i - 1))
  for _ in $(seq 1 120); do
    (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null && break
    sleep 0.5
  done
  (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null || { echo "broker $i did not open port $p; see $dir/broker-$i.log" >&2; exit 1; }
done
echo "Apache Kafka: $brokers broker(s) on 127.0.0.1:$port.. (zookeeper $zk$chroot, dir $dir)"
