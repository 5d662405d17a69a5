#!/usr/bin/env bash
# Stops the Apache Kafka brokers start.sh (or fault.sh) started in DIR: SIGCONT in case one is paused,
# SIGTERM (a controlled shutdown), then SIGKILL whatever is still running after 15 s, so that the
# caller may delete DIR as soon as this returns.
set -u
dir=/tmp/apache-kafka
[[ ${1:-} == --dir ]] && dir=$2
pids=()
for pidfile in "$dir"/broker-*.pid; do
  [[ -f $pidfile ]] || continue
  pid=$(cat "$pidfile")
  kill -CONT -- -"$pid" 2>/dev/null
  kill -- -"$pid" 2>/dev/null || kill "$pid" 2>/dev/null
  pids+=("$pid")
  rm -f "$pidfile"
done
for _ in $(seq 1 150); do
  running=0
  for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && running=1; done
  ((running)) || exit 0
  sleep 0.1
done
for pid in "${pids[@]}"; do kill -KILL -- -"$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null; done
exit 0
