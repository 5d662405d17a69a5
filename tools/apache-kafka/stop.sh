#!/usr/bin/env bash
# Stops the Apache Kafka brokers start.sh started in DIR.
set -u
dir=/tmp/apache-kafka
[[ ${1:-} == --dir ]] && dir=$2
for pidfile in "$dir"/broker-*.pid; do
  [[ -f $pidfile ]] || continue
  pid=$(cat "$pidfile")
  kill -- -"$pid" 2>/dev/null || kill "$pid" 2>/dev/null
  rm -f "$pidfile"
done
