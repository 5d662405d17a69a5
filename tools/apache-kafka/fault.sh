#!/usr/bin/env bash
# The kafka target's fault script for Apache Kafka brokers started by start.sh:
#
#   APACHE_KAFKA_DIR=/tmp/apache-kafka tools/apache-kafka/fault.sh crash|restart|pause|resume BROKER_ID
#
# crash   kill -9 the broker's process group (start.sh runs each broker in its own session): what its
#         page cache had not flushed survives (the OS keeps it), what the JVM had not written is lost.
# restart start it again from the same dir, properties and log config; returns once its port is open.
#         A restart within the ZooKeeper session timeout of a crash first waits for the old session to
#         expire: Kafka refuses to register a broker id whose ephemeral node another session still owns.
# pause   SIGSTOP the process group (nothing is lost; its ZooKeeper session expires if it stays paused).
# resume  SIGCONT it.
# Exit status 0 when done; 1 with a message on stderr when the fault does not apply (e.g. restart of a
# running broker); 2 for bad arguments.
set -uo pipefail
dir=${APACHE_KAFKA_DIR:-/tmp/apache-kafka}
action=${1:-} id=${2:-}
[[ $action =~ ^(crash|restart|pause|resume)$ && $id =~ ^[0-9]+$ ]] || {
  echo "usage: $0 crash|restart|pause|resume BROKER_ID   (broker dir from APACHE_KAFKA_DIR, now $dir)" >&2
  exit 2
}
props=$dir/server-$id.properties
[[ -f $props ]] || { echo "no broker $id in $dir" >&2; exit 1; }
pidfile=$dir/broker-$id.pid
alive() { [[ -f $pidfile ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }
port=$(sed -n 's/^listeners=.*:\([0-9]*\)$/\1/p' "$props")
session_ms=$(sed -n 's/^zookeeper.session.timeout.ms=//p' "$props")
session_ms=${session_ms:-18000}

# One fault at a time per broker: a restart still waiting for the old session must not race another.
exec 9>"$dir/broker-$id.lock"
flock 9

case $action in
  crash)
    alive || { echo "broker $id is not running" >&2; exit 1; }
    pid=$(cat "$pidfile")
    kill -KILL -- -"$pid" 2>/dev/null || kill -KILL "$pid"
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    date +%s%3N >"$dir/broker-$id.crashed"
    ;;
  restart)
    alive && { echo "broker $id is running" >&2; exit 1; }
    if [[ -f $dir/broker-$id.crashed ]]; then
      wait_ms=$(($(cat "$dir/broker-$id.crashed") + session_ms + 500 - $(date +%s%3N)))
      ((wait_ms > 0)) && sleep "$(printf '%d.%03d' $((wait_ms / 1000)) $((wait_ms % 1000)))"
    fi
    libs=$(cat "$dir/libs.path")
    # 9>&-: the broker must not inherit the lock, or it would hold it for its whole life.
    setsid java -Xmx512m -Dlog4j.configuration="file:$dir/log4j-$id.properties" -cp "$libs/*" kafka.Kafka "$props" \
      >>"$dir/broker-$id.log" 2>&1 </dev/null 9>&- &
    echo $! >"$pidfile"
    rm -f "$dir/broker-$id.crashed"
    for _ in $(seq 1 240); do
      alive || { echo "broker $id exited while starting; see $dir/broker-$id.log" >&2; exit 1; }
      (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && exit 0
      sleep 0.25
    done
    echo "broker $id did not open port $port" >&2
    exit 1
    ;;
  pause | resume)
    alive || { echo "broker $id is not running" >&2; exit 1; }
    sig=STOP
    [[ $action == resume ]] && sig=CONT
    pid=$(cat "$pidfile")
    kill -"$sig" -- -"$pid" 2>/dev/null || kill -"$sig" "$pid"
    ;;
esac
exit 0
