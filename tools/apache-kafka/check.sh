#!/usr/bin/env bash
# Checks Apache Kafka against the model: starts a ZooKeeper and N Kafka brokers, runs the conformance
# suite against them with the kafka target (faults through fault.sh; metadata observations from their
# ZooKeeper), and stops everything.
#
#   tools/apache-kafka/check.sh [--brokers 3] [--port 19092] [--faults crash,restart,pause|none]
#                               [--set key=value]... [-- more `kafkaspec check` options, e.g. --runs 50]
#
# Kafka's jars come from KAFKA_LIBS or start.sh's cache (fetched with mvn on first use). Exit status is
# kafkaspec check's: 0 every outcome allowed, 1 a counterexample, 2 bad arguments.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
brokers=3 port=19092 faults=crash,restart,pause sets=() rest=()
usage() { echo "usage: $0 [--brokers N] [--port P] [--faults F|none] [--set key=value]... [-- check options]" >&2; exit 2; }
while (($#)); do
  case $1 in
    --brokers) brokers=$2; shift 2 ;;
    --port) port=$2; shift 2 ;;
    --faults) faults=$2; shift 2 ;;
    --set) sets+=(--set "$2"); shift 2 ;;
    --) shift; rest=("$@"); break ;;
    *) usage ;;
  esac
done
[[ $brokers =~ ^[1-9]$ && $port =~ ^[0-9]+$ ]] || usage

source "$root/.ci/zookeeper.sh"
export APACHE_KAFKA_DIR
APACHE_KAFKA_DIR=$(mktemp -d /tmp/apache-kafka-check.XXXXXX)
cleanup() {
  # Brokers first (stop.sh also resumes paused ones and waits for them to exit), then ZooKeeper: a broker
  # whose ZooKeeper is gone cannot finish a controlled shutdown.
  "$here/stop.sh" --dir "$APACHE_KAFKA_DIR" 2>/dev/null
  stop_zookeeper
  rm -rf "$APACHE_KAFKA_DIR"
}
trap cleanup EXIT
start_zookeeper >&2
# Shorter timers than Kafka's defaults so that a crash or a pause shows within a run: ISR shrink after
# 3 s without catching up, ZooKeeper session expiry (and so leader election) after 6 s.
"$here/start.sh" --brokers "$brokers" --zookeeper "$ZOOKEEPER_CONNECT" --dir "$APACHE_KAFKA_DIR" --port "$port" \
  --set replica.lag.time.max.ms=3000 --set auto.create.topics.enable=false "${sets[@]}" >&2 || exit 1
bootstrap=127.0.0.1:$port
# With the cluster's ZooKeeper (start.sh's chroot), the kafka target also reads the controller, leaders,
# leader epochs, ISRs and registrations after every step, and the metadata state invariants run on them.
zookeeper=$ZOOKEEPER_CONNECT$(cat "$APACHE_KAFKA_DIR/chroot")
args=(check --target kafka --bootstrap "$bootstrap" --zookeeper "$zookeeper" --brokers "$brokers" --faults "$faults")
[[ $faults != none ]] && args+=(--fault-script "$here/fault.sh")
cd "$root" && npx kafkaspec "${args[@]}" "${rest[@]}"
