# Starts Debian's ZooKeeper on a free loopback port (2181 if free) in a temporary data dir.
# Sourced by .ci/run; sets ZOOKEEPER_CONNECT.
start_zookeeper() {
  local port=2181
  while (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; do port=$((port + 1)); done
  ZK_DIR=$(mktemp -d /tmp/kafkaspec-zk.XXXXXX)
  cat >"$ZK_DIR/zoo.cfg" <<CFG
tickTime=500
initLimit=10
syncLimit=5
dataDir=$ZK_DIR/data
clientPort=$port
clientPortAddress=127.0.0.1
maxSessionTimeout=60000
admin.enableServer=false
4lw.commands.whitelist=*
CFG
  mkdir -p "$ZK_DIR/data"
  ZOO_LOG_DIR="$ZK_DIR" setsid /usr/share/zookeeper/bin/zkServer.sh start-foreground "$ZK_DIR/zoo.cfg" >"$ZK_DIR/zk.log" 2>&1 &
  ZK_PID=$!
  for _ in $(seq 1 100); do
    if (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; then break; fi
    sleep 0.2
  done
  if ! (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; then
    echo "ZooKeeper did not start on 127.0.0.1:$port within 20 s; its log:" >&2
    cat "$ZK_DIR/zk.log" >&2
    return 1
  fi
  ZOOKEEPER_CONNECT="127.0.0.1:$port"
  echo "ZooKeeper on $ZOOKEEPER_CONNECT (pid $ZK_PID, log $ZK_DIR/zk.log)"
}

stop_zookeeper() {
  [[ -n ${ZK_PID:-} ]] && kill -- -"$ZK_PID" 2>/dev/null || kill "$ZK_PID" 2>/dev/null || true
  [[ -n ${ZK_DIR:-} ]] && rm -rf "$ZK_DIR"
}
