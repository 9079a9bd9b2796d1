#!/usr/bin/env bash
# make demo / make stop: a local Kafka, the topics, two workers from the Procfile, sample traffic.
set -euo pipefail
cd "$(dirname "$0")/.."

DEMO=.data/demo
PORT="${DEMO_KAFKA_PORT:-9092}"
export BROKER_URL="kafka://127.0.0.1:${PORT}"
mkdir -p "$DEMO"

wait_healthy() {  # url, seconds
  for _ in $(seq "$2"); do
    curl -fsS "$1/health" >/dev/null 2>&1 && return 0
    sleep 1
  done
  echo "worker at $1 is not healthy; see $DEMO/worker*.log" >&2
  return 1
}

start() {
  python -m localkafka start --port "$PORT" --data "$DEMO/kafka"
  faust -A app create-topics
  # One honcho per Procfile entry: a single honcho stops every process when one dies, and the
  # point of two workers is that the other one keeps answering after a kill -9.
  local name
  for name in $(cut -d: -f1 Procfile); do
    if [[ -f "$DEMO/$name.pid" ]] && kill -0 "$(cat "$DEMO/$name.pid")" 2>/dev/null; then
      echo "$name already running (pid $(cat "$DEMO/$name.pid"))"
    else
      nohup honcho start -f Procfile "$name" >"$DEMO/$name.log" 2>&1 &
      echo $! >"$DEMO/$name.pid"
    fi
  done
  wait_healthy http://127.0.0.1:6066 90
  wait_healthy http://127.0.0.1:6067 90
  faust -A app simulate --orders "${DEMO_ORDERS:-300}" --rate "${DEMO_RATE:-50}" \
    --corrupt-ratio 0.02 --seed "$RANDOM" --users 40
  sleep 3
  local order sku=sku-keyboard
  order=$({ grep -h -m1 '"eventType":"OrderConfirmed"' .data/worker*/audit.jsonl || true; } \
    | head -1 | sed -E 's/.*"key":"([^"]+)".*/\1/')
  cat <<TXT

The order system is running (stop it with: make stop).
  Kafka broker     127.0.0.1:${PORT}   (log: $DEMO/kafka/kafka.log)
  worker1          http://127.0.0.1:6066/health
  worker2          http://127.0.0.1:6067/health
  an order         curl http://127.0.0.1:6066/orders/${order:-<orderId>}/status
  stock            curl http://127.0.0.1:6067/inventory/${sku}
  place an order   see docs/http-api.md
  circuit breakers curl http://127.0.0.1:6066/payments/circuits
  live page        http://127.0.0.1:6066/
  API docs         http://127.0.0.1:6066/docs   (OpenAPI: /openapi.json; the topics: docs/asyncapi.yaml)
  metrics          curl http://127.0.0.1:6066/metrics   (JSON: /stats; every worker: /stats/cluster)
  monitor          make monitor   (q quits)
  prometheus       make prometheus   (then http://127.0.0.1:9090)
  worker logs      $DEMO/worker1.log $DEMO/worker2.log
  audit trail      .data/worker1/audit.jsonl  .data/worker2/audit.jsonl
  health log       .data/worker1/health.jsonl .data/worker2/health.jsonl
  dead letters     curl http://127.0.0.1:6066/dlq   or   .venv/bin/faust -A app dlq list
  redrive one      .venv/bin/faust -A app dlq redrive --id <id>   (twice: nothing more happens)
  replay           .venv/bin/faust -A app replay --output .data/replay.json --compare http://127.0.0.1:6066
  more traffic     BROKER_URL=$BROKER_URL .venv/bin/faust -A app simulate --orders 1000 --rate 100
TXT
}

stop() {
  local pidfile pid
  for pidfile in "$DEMO"/worker*.pid; do
    [[ -f "$pidfile" ]] || continue
    pid=$(cat "$pidfile")
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid"  # honcho passes SIGTERM on: the worker finishes, flushes and commits
      for _ in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
    fi
    rm -f "$pidfile"
    echo "stopped $(basename "$pidfile" .pid)"
  done
  python -m localkafka stop --port "$PORT" --data "$DEMO/kafka" || true
}

"${1:-start}"
