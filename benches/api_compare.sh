#!/usr/bin/env bash
# The same export through REST v1 (the baseline) and REST v2, in one run, against one emulator
# (profile `modern`, pages pre-rendered so the client is what is measured): seconds, rows/s, peak
# RSS, and a check that both wrote the same rows. v2 costs what differs: JSON request bodies, the
# `contents[0]` block sliced out of each response, and the overlap row of each later page (asked for
# one row early, compared, and cut out of the page).
#
# Usage: benches/api_compare.sh [ROWS]      default 1000000; REPEAT=N keeps each API's fastest of N
#        SKIP_BUILD=1 uses target/release/tsexport as it is.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
ROWS=${1:-1000000}
REPEAT=${REPEAT:-3}
[[ $ROWS =~ ^[1-9][0-9]*$ ]] || { echo "api_compare.sh: ROWS must be a positive integer" >&2; exit 2; }
QUERY='[Order Line ID] [Order ID] [Customer] [Region] [Product] [Store ID] [Quantity] [Line Cents] [Sales] [Discount] [Is Returned] [Order Date] [Ship Time] [Order Time] [Loyalty Points] sort by [Order Line ID]'
PORT=${PORT:-8797}
OUT=$ROOT/target/api-compare
BIN=$ROOT/target/release/tsexport

[[ ${SKIP_BUILD:-0} == 1 ]] || cargo build --release --quiet
command -v /usr/bin/time >/dev/null || { echo "api_compare.sh: needs /usr/bin/time (apt-get install time)" >&2; exit 1; }

"$BIN" emulator --profile modern --bind "127.0.0.1:$PORT" --rows "$ROWS" --page-cache-mb 2048 >/dev/null 2>&1 &
EMU=$!
trap 'kill $EMU 2>/dev/null || true' EXIT
for _ in $(seq 100); do
    [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/") != 000 ]] && break
    sleep 0.1
done
export TSEXPORT_URL=http://127.0.0.1:$PORT TSEXPORT_USERNAME=tsadmin TSEXPORT_PASSWORD=admin

# One warm-up per API fills the emulator's page cache (v2 pages are other requests).
printf '| api | rows | seconds | M rows/s | peak RSS MB | vs v1 |\n|---|---:|---:|---:|---:|---:|\n'
declare -A BEST RSS
for api in v1 v2; do
    "$BIN" search "$QUERY" -s "Retail Sales" --api "$api" --time-zone America/Chicago -o "$OUT/$api" --quiet >/dev/null
    BEST[$api]=999999
    for _ in $(seq "$REPEAT"); do
        rm -rf "$OUT/$api"
        /usr/bin/time -f '%e %M' -o "$OUT.time" \
            "$BIN" search "$QUERY" -s "Retail Sales" --api "$api" --time-zone America/Chicago -o "$OUT/$api" --quiet >/dev/null
        read -r secs kb <"$OUT.time"
        if awk "BEGIN{exit !($secs < ${BEST[$api]})}"; then BEST[$api]=$secs; RSS[$api]=$((kb / 1024)); fi
    done
done
for api in v1 v2; do
    ratio=$(awk "BEGIN{printf \"%.2fx\", ${BEST[$api]} / ${BEST[v1]}}")
    awk -v api="$api" -v rows="$ROWS" -v s="${BEST[$api]}" -v rss="${RSS[$api]}" -v r="$ratio" \
        'BEGIN{printf "| %s | %d | %.2f | %.2f | %d | %s |\n", api, rows, s, rows/s/1e6, rss, r}'
done
# Both exports hold every row (tests/api_v2.rs compares the values).
v1_rows=$(jq .rows "$OUT/v1/_manifest.json")
v2_rows=$(jq .rows "$OUT/v2/_manifest.json")
[[ $v1_rows == "$ROWS" && $v2_rows == "$ROWS" ]] || { echo "api_compare.sh: rows differ: v1 $v1_rows, v2 $v2_rows" >&2; exit 1; }
echo "both wrote $ROWS rows"
