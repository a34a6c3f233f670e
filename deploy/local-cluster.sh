#!/usr/bin/env bash
# A DistSwitch cluster of real processes on loopback, for one host.
#   deploy/local-cluster.sh up [N]     start N nodes (default 3): Akka on 127.0.0.1:4053.., control API on :8081..
#   deploy/local-cluster.sh status     members as the seed sees them
#   deploy/local-cluster.sh down       stop every node cleanly (SIGTERM: they leave the cluster and hand off shards)
# DSWITCH_BOOTSTRAP=config: no seeds; the nodes form the cluster by Akka.Management cluster bootstrap with
# config-based discovery (management endpoints 127.0.0.1:8558..), the same bootstrap Kubernetes runs with pod discovery.
# State (configs, logs, pids) lives in ${DSWITCH_RUN:-.dswitch-cluster}. The seed is node 1: dswitch ctl --seed https://127.0.0.1:8081 …
# Secure by default: `up` makes a throwaway CA, a member certificate for 127.0.0.1 and API tokens in $run/pki (kept
# across restarts; delete the directory for new ones). Remoting is mutual TLS, the control API HTTPS with tokens:
#   export DSWITCH_TOKEN=@$run/pki/admin.token DSWITCH_CACERT=$run/pki/ca.crt
set -euo pipefail
cd "$(dirname "$0")/.."
run=${DSWITCH_RUN:-.dswitch-cluster}
akka_base=${DSWITCH_AKKA_PORT:-4053}
api_base=${DSWITCH_API_PORT:-8081}
mgmt_base=${DSWITCH_MANAGEMENT_PORT:-8558}
bootstrap=${DSWITCH_BOOTSTRAP:-}

build() {
  dotnet build Switch.Node -c Release -o "$run/bin" >"$run/build.log" 2>&1 || { cat "$run/build.log" >&2; exit 1; }
}

up() {
  local n=${1:-3}
  mkdir -p "$run"
  build
  if [ ! -f "$run/pki/tokens.json" ]; then
    dotnet "$run/bin/dswitch.dll" security init --out "$run/pki" >/dev/null
  fi
  local pki; pki=$(cd "$run/pki" && pwd)
  local seed="akka.ssl.tcp://dswitch@127.0.0.1:${akka_base}" endpoints=""
  for i in $(seq 1 "$n"); do endpoints+="${endpoints:+,}\"127.0.0.1:$((mgmt_base + i - 1))\""; done
  for i in $(seq 1 "$n"); do
    local akka=$((akka_base + i - 1)) api=$((api_base + i - 1)) join="\"seeds\": [\"$seed\"]"
    if [ "$bootstrap" = config ]; then
      join="\"bootstrap\": { \"method\": \"config\", \"managementPort\": $((mgmt_base + i - 1)), \"requiredContactPoints\": $n, \"endpoints\": [$endpoints] }"
    fi
    cat >"$run/n$i.json" <<JSON
{ "name": "n$i", "api": "https://127.0.0.1:$api", "security": { "dir": "$pki" },
  "ports": { "1": { "pcapOut": "n$i/port-1.pcap" }, "2": { "pcapOut": "n$i/port-2.pcap" } },
  "cluster": { "host": "127.0.0.1", "port": $akka, $join, "shards": 30 } }
JSON
    dotnet "$run/bin/dswitch.dll" run --config "$run/n$i.json" >"$run/n$i.log" 2>&1 &
    echo $! >"$run/n$i.pid"
  done
  for i in $(seq 1 "$n"); do
    for _ in $(seq 1 120); do
      grep -q "control API on" "$run/n$i.log" 2>/dev/null && break
      kill -0 "$(cat "$run/n$i.pid")" 2>/dev/null || { echo "node n$i exited:" >&2; cat "$run/n$i.log" >&2; exit 1; }
      sleep 0.5
    done
    grep -q "control API on" "$run/n$i.log" || { echo "node n$i did not become ready" >&2; exit 1; }
    grep "control API on" "$run/n$i.log"
  done
  echo "seed: https://127.0.0.1:${api_base}"
  echo "  export DSWITCH_SEED=https://127.0.0.1:${api_base} DSWITCH_TOKEN=@$pki/admin.token DSWITCH_CACERT=$pki/ca.crt"
  echo "  dswitch ctl cluster        (reader token for dashboards: $pki/reader.token)"
}

down() {
  shopt -s nullglob
  for f in "$run"/n*.pid; do
    local pid; pid=$(cat "$f")
    kill -TERM "$pid" 2>/dev/null || true
  done
  for f in "$run"/n*.pid; do
    local pid; pid=$(cat "$f")
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$pid" 2>/dev/null || true
    rm -f "$f"
  done
  echo "stopped"
}

status() {
  dotnet "$run/bin/dswitch.dll" ctl --seed "https://127.0.0.1:${api_base}" --token "@$run/pki/reader.token" --cacert "$run/pki/ca.crt" cluster
}

case "${1:-}" in
  up) up "${2:-3}" ;;
  down) down ;;
  status) status ;;
  *) echo "usage: $0 up [N] | status | down" >&2; exit 2 ;;
esac
