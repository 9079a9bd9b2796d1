#!/usr/bin/env bash
# make prometheus / prometheus-stop: a real Prometheus (Debian's package) scraping the workers'
# /metrics every 2 s. PROM_TARGETS (host:port,…; default make demo's two workers), PROM_PORT
# (9090), PROM_DATA (.data/prometheus). The tests run this same script against their workers.
set -euo pipefail
cd "$(dirname "$0")/.."

TARGETS="${PROM_TARGETS:-127.0.0.1:6066,127.0.0.1:6067}"
PORT="${PROM_PORT:-9090}"
DATA="${PROM_DATA:-.data/prometheus}"
PIDFILE="$DATA/prometheus.pid"

start() {
  command -v prometheus >/dev/null 2>&1 || bash scripts/sysdeps.sh
  mkdir -p "$DATA"
  if [[ -f "$PIDFILE" ]] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
    echo "prometheus already running (pid $(cat "$PIDFILE"))"
    return 0
  fi
  local quoted
  quoted=$(sed -E 's/[^,]+/"&"/g' <<<"$TARGETS")
  cat >"$DATA/prometheus.yml" <<YML
global: {scrape_interval: 2s, evaluation_interval: 2s}
scrape_configs:
  - job_name: orders
    static_configs: [{targets: [$quoted]}]
YML
  nohup prometheus --config.file="$DATA/prometheus.yml" --storage.tsdb.path="$DATA/tsdb" \
    --web.listen-address="127.0.0.1:$PORT" >"$DATA/prometheus.log" 2>&1 &
  echo $! >"$PIDFILE"
  for _ in $(seq 30); do
    if curl -fsS "http://127.0.0.1:$PORT/-/ready" >/dev/null 2>&1; then
      cat <<TXT
Prometheus is scraping $TARGETS (stop it with: make prometheus-stop).
  targets          http://127.0.0.1:$PORT/targets
  orders finished  curl -s 'http://127.0.0.1:$PORT/api/v1/query?query=sum(orders_finished_total)by(outcome)'
  messages/s       curl -s 'http://127.0.0.1:$PORT/api/v1/query?query=sum(rate(orders_records_total{result="received"}[30s]))'
  log              $DATA/prometheus.log
TXT
      return 0
    fi
    sleep 1
  done
  echo "prometheus did not become ready; see $DATA/prometheus.log" >&2
  return 1
}

stop() {
  [[ -f "$PIDFILE" ]] || return 0
  local pid
  pid=$(cat "$PIDFILE")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  fi
  rm -f "$PIDFILE"
  echo "stopped prometheus"
}

"${1:-start}"
