#!/usr/bin/env bash
# A Delta table export against the same export to a Parquet folder (the baseline), in one run,
# against one emulator (pages pre-rendered, so the client is what is measured): all 15 columns of
# Retail Sales, the search benches/compare.sh uses. Three kinds of run take turns, the order
# rotating each repetition so that a slow spell of the machine hits all of them:
#   parquet     `--out DIR` (a folder of Parquet files, `_manifest.json`, `_SUCCESS`), a fresh folder
#   delta new   `--format delta`, a fresh table each time (version 0)
#   delta over  `--format delta --mode overwrite` on one existing table (versions 1, 2, ...)
# Prints median and min wall seconds, M rows/s, peak RSS, CPU seconds and the ratio to parquet, as a Markdown
# table also written to target/delta-bench/results.md. Every run must report all its rows.
#
# Usage: benches/delta.sh [ROWS]          default 1000000
# Environment:
#   REPEAT=N       runs of each kind (default 7, at least 5 for a median worth the name)
#   SKIP_BUILD=1   use target/release/tsexport as it is (default: cargo build --release first)
#   TSEXPORT_BIN=PATH  the binary to measure (implies SKIP_BUILD)
#   WAIT_QUIET=0   do not wait before each run for a second in which other work on the machine
#                  used under a tenth of a core (default: wait, up to QUIET_TIMEOUT=120 seconds)
#   DISTURBED=S    a run during which other work used more than S CPU seconds (default 0.2) is
#                  run again, up to RETRY=5 times, and left out of the figures
#   QUERY='...'    another search of Retail Sales (default: all 15 columns, sorted by Order Line ID)
#   PHASES=1       after the timed runs, one more run of each kind with -vv and JSON logs
#                  (not timed in the table): prints the time from start to the last page, and
#                  from there to the commit, from the log's own timestamps
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
ROWS=${1:-1000000}
REPEAT=${REPEAT:-7}
[[ $ROWS =~ ^[1-9][0-9]*$ ]] || { echo "delta.sh: ROWS must be a positive integer" >&2; exit 2; }
[[ $REPEAT =~ ^[1-9][0-9]*$ ]] || { echo "delta.sh: REPEAT must be a positive integer" >&2; exit 2; }
QUERY=${QUERY:-'[Order Line ID] [Order ID] [Customer] [Region] [Product] [Store ID] [Quantity] [Line Cents] [Sales] [Discount] [Is Returned] [Order Date] [Ship Time] [Order Time] [Loyalty Points] sort by [Order Line ID]'}
SOURCE=5b0b1c4e-2f61-4c1a-9d3e-7a2f00000001 # Retail Sales
WORK=$ROOT/target/delta-bench
RESULTS_MD=$WORK/results.md

die() { echo "delta.sh: $*" >&2; exit 1; }
command -v jq >/dev/null || die "needs jq (apt-get install jq)"
command -v python3 >/dev/null || die "needs python3 (for the medians)"
[[ -x /usr/bin/time ]] || die "needs GNU time at /usr/bin/time (apt-get install time)"

if [[ -n ${TSEXPORT_BIN:-} ]]; then
    BIN=$TSEXPORT_BIN
else
    BIN=$ROOT/target/release/tsexport
    [[ ${SKIP_BUILD:-0} == 1 ]] || cargo build --release --bin tsexport >&2 || die "cargo build --release failed"
fi
[[ -x $BIN ]] || die "no tsexport binary at $BIN"

rm -rf "$WORK"
mkdir -p "$WORK"

EMU=
trap '[[ -n $EMU ]] && kill $EMU 2>/dev/null; true' EXIT
cache_mb=$(( (ROWS + 99999) / 100000 * 16 + 64 ))
"$BIN" emulator --bind 127.0.0.1:0 --rows "$ROWS" --page-cache-mb "$cache_mb" >"$WORK/emulator.log" 2>&1 &
EMU=$!
URL=
for _ in $(seq 300); do
    URL=$(sed -n 's/^ThoughtSpot emulator.* at \(http:\/\/[0-9.:]*\).*/\1/p' "$WORK/emulator.log" | head -n 1)
    [[ -n $URL ]] && break
    kill -0 "$EMU" 2>/dev/null || { cat "$WORK/emulator.log" >&2; die "the emulator exited before it was ready"; }
    sleep 0.1
done
[[ -n $URL ]] || die "the emulator did not print its URL within 30 s"
export TSEXPORT_URL=$URL TSEXPORT_USERNAME=tsadmin TSEXPORT_PASSWORD=admin
unset TSEXPORT_TOKEN TSEXPORT_SECRET_KEY TSEXPORT_CONNECTION TSEXPORT_PASSWORD_FILE RUST_LOG || true

# The machine's busy CPU time so far (user, nice, system, irq, softirq, steal), in clock ticks,
# and the emulator's own.
HZ=$(getconf CLK_TCK)
busy_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }
emulator_ticks() { awk '{ print $14 + $15 }' "/proc/$EMU/stat"; }

# On a shared machine: waits (up to QUIET_TIMEOUT seconds) for a second in which other work used
# less than a tenth of a core, so that a run does not start in the middle of someone's build.
wait_quiet() {
    [[ ${WAIT_QUIET:-1} == 1 ]] || return 0
    local waited=0 b0 b1
    while (( waited < ${QUIET_TIMEOUT:-120} )); do
        b0=$(busy_ticks); sleep 1; b1=$(busy_ticks)
        (( (b1 - b0) * 10 <= HZ )) && return 0
        waited=$((waited + 1))
    done
    echo "  (the machine stayed busy for ${QUIET_TIMEOUT:-120} s; running anyway)" >&2
}

# run_once KIND: one export of that kind, timed; writes "kind seconds rss_kb cpu_seconds bytes
# version others_cpu_seconds" to $WORK/last, the last field being the CPU time the rest of the
# machine (not this export, not the emulator) used while it ran.
run_once() {
    local kind=$1 out args=() t0 t1 secs rss user sys cpu rows b0 b1 e0 e1 others
    case $kind in
        parquet) out=$WORK/parquet; rm -rf "$out" ;;
        delta-new) out=$WORK/delta-new; rm -rf "$out"; args=(--format delta) ;;
        delta-over) out=$WORK/delta-over; args=(--format delta --mode overwrite) ;;
    esac
    sync # the previous run's dirty pages are written back before this run starts, not during it
    wait_quiet
    b0=$(busy_ticks); e0=$(emulator_ticks)
    t0=$(date +%s.%N)
    /usr/bin/time -f '%M %U %S' -o "$WORK/time" \
        "$BIN" search "$QUERY" --source "$SOURCE" --out "$out" "${args[@]}" --json --quiet >"$WORK/summary.json" 2>"$WORK/stderr" \
        || { cat "$WORK/stderr" >&2; die "$kind export failed"; }
    t1=$(date +%s.%N)
    b1=$(busy_ticks); e1=$(emulator_ticks)
    secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
    read -r rss user sys <"$WORK/time"
    cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
    others=$(awk -v b=$((b1 - b0 - (e1 - e0))) -v hz="$HZ" -v c="$cpu" 'BEGIN { o = b / hz - c; printf "%.2f", o < 0 ? 0 : o }')
    rows=$(jq .rows "$WORK/summary.json")
    [[ $rows == "$ROWS" ]] || die "$kind wrote $rows rows, not $ROWS"
    bytes=$(jq .bytes "$WORK/summary.json")
    echo "$kind	$secs	$rss	$cpu	$bytes	$(jq -r '.table_version // "-"' "$WORK/summary.json")	$others" >"$WORK/last"
    printf '  %-10s %6.3f s  %4d MB  CPU %s s  version %s  (other work: %s CPU s)\n' "$kind" "$secs" $((rss / 1024)) "$cpu" \
        "$(jq -r '.table_version // "-"' "$WORK/summary.json")" "$others" >&2
}

# run KIND: run_once, again (up to RETRY times) while other work on the machine took more than
# DISTURBED CPU seconds during the run; appends the kept run to runs.tsv, the others to
# disturbed.tsv.
run() {
    local attempt others
    for attempt in $(seq 0 "${RETRY:-5}"); do
        run_once "$1"
        others=$(cut -f7 "$WORK/last")
        if (( attempt == ${RETRY:-5} )) || awk -v o="$others" -v d="${DISTURBED:-0.2}" 'BEGIN { exit !(o <= d) }'; then
            cat "$WORK/last" >>"$WORK/runs.tsv"
            return
        fi
        cat "$WORK/last" >>"$WORK/disturbed.tsv"
        echo "    (disturbed: run again)" >&2
    done
}

echo "emulator $URL, $ROWS rows, page cache $cache_mb MB; warm-up (fills the page cache, creates the overwrite table)" >&2
run parquet; run delta-new; run delta-over
: >"$WORK/runs.tsv"
: >"$WORK/disturbed.tsv"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
KINDS=(parquet delta-new delta-over)
for i in $(seq 0 $((REPEAT - 1))); do
    echo "repetition $((i + 1)) of $REPEAT" >&2
    for j in 0 1 2; do
        run "${KINDS[$(( (i + j) % 3 ))]}"
    done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

python3 - "$WORK/runs.tsv" "$ROWS" "$BIN" "$load_before" "$load_after" "$QUERY" "${DISTURBED:-0.2}" >"$RESULTS_MD" <<'EOF'
import os, platform, statistics, subprocess, sys
tsv, rows, binary, load_before, load_after, query, disturbed_over = sys.argv[1:8]
columns = query.split(" sort by ")[0].count("[")
rows = int(rows)
runs = {}
for line in open(tsv):
    kind, secs, rss, cpu, size, _, others = line.rstrip("\n").split("\t")
    runs.setdefault(kind, []).append((float(secs), int(rss), cpu, int(size), float(others)))
cpu_model = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.machine())
version = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout.strip()
n = len(runs["parquet"])
print(f"{rows:,} rows x {columns} columns of Retail Sales, {n} runs of each kind taking turns; {os.cpu_count()} cores "
      f"({cpu_model}); {version}; load average {load_before} before, {load_after} after.")
print()
print("| export | median s | min s | M rows/s (median) | M rows/s (min) | peak RSS MB (median) | CPU s, user+sys (median) | output MB | vs parquet (median) | vs parquet (min) |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
base = runs["parquet"]
base_med, base_min = statistics.median(r[0] for r in base), min(r[0] for r in base)
names = {"parquet": "Parquet folder", "delta-new": "Delta, new table", "delta-over": "Delta, overwrite existing table"}
for kind in ("parquet", "delta-new", "delta-over"):
    rs = runs[kind]
    med, mn = statistics.median(r[0] for r in rs), min(r[0] for r in rs)
    rss = statistics.median(r[1] for r in rs) / 1024
    cpu = statistics.median(float(r[2]) for r in rs)
    size = statistics.median(r[3] for r in rs) / 1e6
    ratio = "—" if kind == "parquet" else f"{med / base_med:.3f}x"
    ratio_min = "—" if kind == "parquet" else f"{mn / base_min:.3f}x"
    print(f"| {names[kind]} | {med:.3f} | {mn:.3f} | {rows / med / 1e6:.2f} | {rows / mn / 1e6:.2f} | {rss:.0f} | {cpu:.2f} | {size:.1f} | {ratio} | {ratio_min} |")
print()
for kind in ("delta-new", "delta-over"):
    paired = sorted(d[0] / p[0] for d, p in zip(runs[kind], base))
    cpu_ratio = statistics.median(float(r[2]) for r in runs[kind]) / statistics.median(float(r[2]) for r in base)
    print(f"{names[kind]} against the parquet run of the same repetition: median {statistics.median(paired):.3f}x "
          f"(from {paired[0]:.3f}x to {paired[-1]:.3f}x); CPU time {cpu_ratio:.3f}x parquet's.")
print()
others = [r[4] for rs in runs.values() for r in rs]
disturbed = sum(1 for _ in open(os.path.join(os.path.dirname(tsv), "disturbed.tsv")))
print(f"Other work on the machine during a kept run: median {statistics.median(others):.2f} CPU s, max {max(others):.2f}; "
      f"{disturbed} disturbed run(s) (over {disturbed_over} CPU s of other work) run again and left out.")
print()
print("Every run, in order (seconds): " + "; ".join(
    f"{k} " + ", ".join(f"{r[0]:.3f}" for r in runs[k]) for k in ("parquet", "delta-new", "delta-over")))
EOF
cat "$RESULTS_MD"

if [[ ${PHASES:-0} == 1 ]]; then
    # Where a delta run's time goes, from its own log (-vv, JSON lines with timestamps). Not in
    # the table above: logging at debug costs time of its own.
    for kind in parquet delta-new delta-over; do
        case $kind in
            parquet) out=$WORK/parquet; rm -rf "$out"; args=() ;;
            delta-new) out=$WORK/delta-new; rm -rf "$out"; args=(--format delta) ;;
            delta-over) out=$WORK/delta-over; args=(--format delta --mode overwrite) ;;
        esac
        t0=$(date +%s.%N)
        "$BIN" -vv --log-format json search "$QUERY" --source "$SOURCE" --out "$out" "${args[@]}" --json --quiet \
            >"$WORK/phases-$kind.json" 2>"$WORK/phases-$kind.log" || { cat "$WORK/phases-$kind.log" >&2; die "$kind failed"; }
        t1=$(date +%s.%N)
        python3 - "$WORK/phases-$kind.log" "$kind" "$t0" "$t1" <<'EOF'
import json, sys
from datetime import datetime
log, kind, t0, t1 = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
events = []  # (seconds since the process started, target, message)
for line in open(log):
    try:
        e = json.loads(line)
    except ValueError:
        continue
    at = datetime.fromisoformat(e["timestamp"].replace("Z", "+00:00")).timestamp() - t0
    events.append((at, e.get("target", ""), str(e.get("message", ""))))
def first(pred, after=-1.0):
    return next((at for at, t, m in events if at >= after and pred(t, m)), None)
def last(pred):
    return next((at for at, t, m in reversed(events) if pred(t, m)), None)
lake = lambda t, m: t.startswith(("buoyant_kernel", "deltalake"))
opened = first(lambda t, m: m == "file opened")
written = last(lambda t, m: m == "file written")
committed = last(lambda t, m: m == "committed")
lake_open = [at for at, t, m in events if lake(t, m) and opened is not None and at < opened]
commit_start = first(lake, after=written or 0.0)
marks = [("first log event (process start, sign-in)", events[0][0] if events else None)]
if lake_open:
    marks.append(("table log read: first event", lake_open[0]))
    marks.append(("table log read: last event", lake_open[-1]))
marks += [("first file opened (first page decoded)", opened), ("last file written (closed)", written)]
if commit_start is not None:
    marks.append(("Delta commit: first event", commit_start))
marks += [("committed", committed), ("exit", t1 - t0)]
print(f"{kind}: {t1 - t0:.3f} s wall, {len(events)} log events at debug")
previous = 0.0
for name, at in marks:
    if at is None:
        continue
    print(f"  {at:7.3f} s  (+{at - previous:6.3f})  {name}")
    previous = at
EOF
    done
fi
