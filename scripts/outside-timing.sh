#!/usr/bin/env bash
# Issue 16's check from outside, on `make demo`'s broker and two workers: orders placed with
# `faust -A app simulate --rate 0`, their terminal events on orders.events counted with kcat by
# record timestamp; then a raw aiokafka passthrough (bench/raw_jobs.py) on the same broker,
# counted the same way. Prints orders/s, business records/s and their ratio to the raw forward.
#   make demo && scripts/outside-timing.sh            ORDERS=3000 RAW=200000 BROKER=127.0.0.1:9092
set -euo pipefail
cd "$(dirname "$0")/.."
B=${BROKER:-127.0.0.1:9092}
N=${ORDERS:-3000}
RAW=${RAW:-200000}
K=scripts/kcat
PY=.venv/bin/python
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

since=$(($(date +%s%N) / 1000000))
BROKER_URL=kafka://$B $PY -m faust -A app simulate --orders "$N" --rate 0 --seed "$RANDOM" \
  --users 200 --settle 3
echo "waiting 40 s: the gateway-down orders end at the saga's 30 s deadline"
sleep 40
$K -C -b "$B" -t orders.commands -o "s@$since" -e -q -X log_level=0 -f '%T\n' >"$tmp/placed"
$K -C -b "$B" -t orders.events -o "s@$since" -e -q -X log_level=0 -f '%T %s\n' >"$tmp/events"
for t in inventory.commands payments.commands carts.events orders.aggregates; do
  $K -C -b "$B" -t "$t" -o "s@$since" -e -q -X log_level=0 -f '%T\n' >>"$tmp/others"
done

$PY -c "import asyncio, sys; from bench.measure import create_topics
asyncio.run(create_topics(sys.argv[1], sys.argv[2:]))" "$B" "raw.in.$since" "raw.out.$since"
$PY - "$RAW" >"$tmp/raw.in" <<'PY'
import sys
from bench.workload import orders
for key, value in orders(int(sys.argv[1])):
    sys.stdout.write(f"{key.decode()}\t{value.decode()}\n")
PY
$K -P -b "$B" -X log_level=0 -t "raw.in.$since" -K '\t' -l "$tmp/raw.in"
$PY -m bench.raw_jobs forward "$B" "raw.in.$since" "raw.out.$since" "raw-$since" &
raw=$!
until [ "$($K -C -b "$B" -t "raw.out.$since" -o beginning -e -q -X log_level=0 -f '.\n' | wc -l)" -ge "$RAW" ]; do
  kill -0 "$raw" 2>/dev/null || { echo "the raw forward exited" >&2; exit 1; }
  sleep 2
done
kill "$raw"
$K -C -b "$B" -t "raw.out.$since" -o beginning -e -q -X log_level=0 -f '%T\n' >"$tmp/raw.out"

$PY - "$tmp" <<'PY'
import re, sys
from pathlib import Path
tmp = Path(sys.argv[1])
stamps = lambda name: sorted(int(line.split()[0]) for line in (tmp / name).read_text().split("\n") if line)
placed, raw = stamps("placed"), stamps("raw.out")
events = [line.split(" ", 1) for line in (tmp / "events").read_text().split("\n") if line]
end = sorted(int(t) for t, v in events if re.search(r'"eventType":"Order(Confirmed|Cancelled|Rejected)"', v))
business = len(placed) + len(events) + len(stamps("others"))
raw_rate = len(raw) / ((raw[-1] - raw[0]) / 1000)
print(f"orders.commands records {len(placed)}, terminal events {len(end)}")
for share in (0.5, 0.9, 0.95):
    at = end[int(share * (len(end) - 1))]
    span = (at - placed[0]) / 1000
    print(f"  {share:.0%} of the terminal events {span:.1f} s after the first command: "
          f"{share * len(end) / span:.1f} orders/s")
span = (end[int(0.95 * (len(end) - 1))] - placed[0]) / 1000
print(f"business records (as make bench counts them) {business}; "
      f"to 95 % of the outcomes {0.95 * business / span:,.0f} records/s")
print(f"raw aiokafka forward: {len(raw)} records in {(raw[-1] - raw[0]) / 1000:.2f} s: {raw_rate:,.0f} msg/s")
print(f"business records/s / raw forward msg/s: {0.95 * business / span / raw_rate:.3f}")
PY
