#!/usr/bin/env bash
# The tsexport Python package against the Python peer and the command line, in one run, against one
# emulator (profile modern, pages pre-rendered in its page cache, so the clients are what is
# measured): all 15 columns of Retail Sales, the search benches/compare.sh uses.
#   package    client.search(QUERY, SOURCE).read_all() (benches/peers/python_read.py), REST v2
#   peer       requests + dict rows + pyarrow.Table.from_pylist + pq.write_table (zstd),
#              benches/peers/python_export.py, REST v1 searchdata (the way users write it)
#   cli        target/release/tsexport search ... --out DIR --json --quiet (Parquet), REST v2
# The three take turns, REPEAT times each; every run must report all its rows. Then, on an emulator
# of BIG_ROWS rows, the package iterating the reader batch by batch (one batch held at a time):
# its peak RSS. Wall seconds (whole process, interpreter start-up included) and peak RSS come from
# /usr/bin/time -v. Prints median and min seconds, peak RSS and the ratio to the package as a
# Markdown table, also written to target/python-bench.md, then the goals: the peer at least 5x the
# package, the package within 1.2x of the command line, BIG_ROWS batches under 500 MB.
#
# Usage: benches/python.sh
# Environment:
#   ROWS=N         rows of the timed comparison (default 1000000)
#   BIG_ROWS=N     rows of the batch-by-batch memory run (default 10000000; 0 skips it)
#   REPEAT=N       runs of each tool (default 3), and BIG_REPEAT=N runs of the memory run (default 1)
#   SKIP_BUILD=1   use target/release/tsexport and the venv's tsexport as they are (default:
#                  cargo build --release, then maturin build --release of the package into
#                  target/wheels-bench, installed into target/bench-venv-python)
#   WAIT_QUIET=0   do not wait before each timed run for the 1-minute load average to drop below
#                  QUIET_LOAD=1.0 (default: wait, up to QUIET_TIMEOUT=60 seconds, then run anyway)
#
# Needs: a Rust toolchain, python3 with venv, jq, GNU time at /usr/bin/time, and the Python package
# registry (the venv's pinned wheels: pyarrow, requests, numpy, maturin).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

QUERY='[Order Line ID] [Order ID] [Customer] [Region] [Product] [Store ID] [Quantity] [Line Cents] [Sales] [Discount] [Is Returned] [Order Date] [Ship Time] [Order Time] [Loyalty Points] sort by [Order Line ID]'
SOURCE=5b0b1c4e-2f61-4c1a-9d3e-7a2f00000001 # Retail Sales
API=v2 # the package and the command line read through the same API; the peer is v1 by design
ROWS=${ROWS:-1000000}
BIG_ROWS=${BIG_ROWS:-10000000}
REPEAT=${REPEAT:-3}
BIG_REPEAT=${BIG_REPEAT:-1}
VENV=$ROOT/target/bench-venv-python
PY=$VENV/bin/python
WHEELS=$ROOT/target/wheels-bench
WORK=$ROOT/target/python-bench
RESULTS_MD=$ROOT/target/python-bench.md
PINS=(pyarrow==26.0.1 requests==2.34.2 numpy==2.4.6 maturin==1.16.0)

die() { echo "python.sh: $*" >&2; exit 1; }
say() { printf '\n== %s\n' "$*" >&2; }
[[ $ROWS =~ ^[1-9][0-9]*$ ]] || die "ROWS must be a positive integer"
[[ $BIG_ROWS =~ ^[0-9]+$ ]] || die "BIG_ROWS must be a non-negative integer"
[[ $REPEAT =~ ^[1-9][0-9]*$ && $BIG_REPEAT =~ ^[1-9][0-9]*$ ]] || die "REPEAT and BIG_REPEAT must be positive integers"
command -v jq >/dev/null || die "needs jq (apt-get install jq)"
command -v python3 >/dev/null || die "needs python3"
[[ -x /usr/bin/time ]] || die "needs GNU time at /usr/bin/time (apt-get install time)"

# --- build -------------------------------------------------------------------------------------

BIN=$ROOT/target/release/tsexport
if [[ ${SKIP_BUILD:-0} != 1 ]]; then
    say "cargo build --release (a no-op when up to date)"
    cargo build --release --bin tsexport >&2 || die "cargo build --release failed"
fi
[[ -x $BIN ]] || die "no tsexport binary at $BIN"

if [[ ! -x $PY ]] || [[ "$(cat "$VENV/.pins" 2>/dev/null)" != "${PINS[*]}" ]]; then
    say "python venv at ${VENV#"$ROOT"/} (${PINS[*]})"
    rm -rf "$VENV"
    python3 -m venv "$VENV" || die "python3 -m venv failed (Debian: apt-get install python3-venv)"
    "$PY" -m pip install --quiet --only-binary=:all: "${PINS[@]}" >&2 || die "pip install ${PINS[*]} failed"
    echo "${PINS[*]}" >"$VENV/.pins"
fi
if [[ ${SKIP_BUILD:-0} != 1 ]]; then
    say "maturin build --release (the package; shares target/release with the binary)"
    rm -rf "$WHEELS"
    "$VENV/bin/maturin" build --release --interpreter "$PY" -o "$WHEELS" >&2 || die "maturin build --release failed"
    wheel=$(ls "$WHEELS"/tsexport-*.whl | head -n 1)
    "$PY" -m pip install --quiet --no-deps --force-reinstall "$wheel" >&2 || die "pip install $wheel failed"
fi
# Run from $WORK so that `import tsexport` cannot pick up python/tsexport (a development build).
mkdir -p "$WORK"
PKG_INFO=$(cd "$WORK" && "$PY" -c 'import tsexport, tsexport._native as n; print(tsexport.__version__, n.__file__)') \
    || die "the venv has no tsexport package (run without SKIP_BUILD=1)"
case $PKG_INFO in *"$VENV"/*) ;; *) die "tsexport imports from outside the venv: $PKG_INFO" ;; esac

if BUILD_DESC="commit $(git rev-parse --short HEAD 2>/dev/null)"; then
    git diff --quiet HEAD -- src python emulator Cargo.toml Cargo.lock 2>/dev/null || BUILD_DESC+=" with local changes"
else
    BUILD_DESC="a tree outside git"
fi

# --- helpers -----------------------------------------------------------------------------------

EMU_PID=
stop_emulator() {
    if [[ -n $EMU_PID ]] && kill -0 "$EMU_PID" 2>/dev/null; then
        kill "$EMU_PID" 2>/dev/null || true
        wait "$EMU_PID" 2>/dev/null || true
    fi
    EMU_PID=
}
trap stop_emulator EXIT
trap 'stop_emulator; exit 130' INT TERM

start_emulator() { # rows cache_mb log
    local rows=$1 cache_mb=$2 log=$3
    "$BIN" emulator --bind 127.0.0.1:0 --profile modern --rows "$rows" --page-cache-mb "$cache_mb" >"$log" 2>&1 &
    EMU_PID=$!
    URL=
    for _ in $(seq 1 300); do
        URL=$(sed -n 's/^ThoughtSpot emulator.* at \(http:\/\/[0-9.:]*\).*/\1/p' "$log" | head -n 1)
        [[ -n $URL ]] && break
        kill -0 "$EMU_PID" 2>/dev/null || { cat "$log" >&2; die "the emulator exited before it was ready"; }
        sleep 0.1
    done
    [[ -n $URL ]] || { cat "$log" >&2; die "the emulator did not print its URL within 30 s"; }
    export TSEXPORT_URL=$URL
}
emulator_rss_mb() { awk '/^VmRSS/ { printf "%d", $2 / 1024 }' "/proc/$EMU_PID/status"; }

# On a shared machine: waits (up to QUIET_TIMEOUT seconds) for the 1-minute load average to drop
# below QUIET_LOAD, so that a run does not start in the middle of someone's build.
load1() { cut -d' ' -f1 /proc/loadavg; }
wait_quiet() {
    [[ ${WAIT_QUIET:-1} == 1 ]] || return 0
    local waited=0
    while (( waited < ${QUIET_TIMEOUT:-60} )); do
        awk -v l="$(load1)" -v q="${QUIET_LOAD:-1.0}" 'BEGIN { exit !(l < q) }' && return 0
        sleep 1
        waited=$((waited + 1))
    done
    echo "   (load average still $(load1) after ${QUIET_TIMEOUT:-60} s; running anyway)" >&2
}

# The machine's busy CPU time (user, nice, system, irq, softirq, steal), in clock ticks, and the
# emulator's own: what other work did during a run.
HZ=$(getconf CLK_TCK)
busy_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }
emulator_ticks() { awk '{ print $14 + $15 }' "/proc/$EMU_PID/stat"; }

# One run of a tool: the command for it, and how many rows it reported (from its output).
tool_cmd() { # tool rows -> sets CMD (array)
    case $1 in
        package) CMD=("$PY" "$ROOT/benches/peers/python_read.py" --url "$URL" --query "$QUERY" --source "$SOURCE"
                      --api "$API" --mode read-all --expect-rows "$2") ;;
        batches) CMD=("$PY" "$ROOT/benches/peers/python_read.py" --url "$URL" --query "$QUERY" --source "$SOURCE"
                      --api "$API" --mode batches --expect-rows "$2") ;;
        peer) CMD=("$PY" "$ROOT/benches/peers/python_export.py" --url "$URL" --query "$QUERY" --source "$SOURCE"
                   --out "$WORK/peer.parquet") ;;
        cli) CMD=("$BIN" search "$QUERY" --source "$SOURCE" --api "$API" --url "$URL" --username tsadmin
                  --out "$WORK/cli" --json --quiet) ;;
    esac
}
reported_rows() { # tool
    case $1 in
        package | batches) jq -r .rows "$WORK/stdout" ;;
        peer) sed -n 's/^\([0-9]*\) rows -> .*/\1/p' "$WORK/stderr" | tail -n 1 ;;
        cli) jq -r .rows "$WORK/stdout" ;;
    esac
}

# run_once TOOL ROWS [untimed]: one run under /usr/bin/time -v; appends "tool rows seconds rss_kb
# cpu_s load1 others_cpu_s inner_s" to runs.tsv unless untimed.
run_once() {
    local tool=$1 rows=$2 untimed=${3:-} t0 t1 b0 b1 e0 e1 secs rss cpu others load got inner
    tool_cmd "$tool" "$rows"
    rm -rf "$WORK/peer.parquet" "$WORK/cli"
    sync
    [[ -n $untimed ]] || wait_quiet
    load=$(load1)
    b0=$(busy_ticks); e0=$(emulator_ticks)
    t0=$(date +%s.%N)
    (cd "$WORK" && /usr/bin/time -v -o "$WORK/time" "${CMD[@]}" >"$WORK/stdout" 2>"$WORK/stderr") \
        || { tail -n 40 "$WORK/stderr" >&2; die "$tool failed ($rows rows)"; }
    t1=$(date +%s.%N)
    b1=$(busy_ticks); e1=$(emulator_ticks)
    got=$(reported_rows "$tool")
    [[ $got == "$rows" ]] || { cat "$WORK/stdout" "$WORK/stderr" >&2; die "$tool reported '$got' rows, not $rows"; }
    secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
    rss=$(awk -F': *' '/Maximum resident set size/ { print $2 }' "$WORK/time")
    cpu=$(awk -F': *' '/User time/ { u = $2 } /System time/ { s = $2 } END { printf "%.2f", u + s }' "$WORK/time")
    others=$(awk -v b=$((b1 - b0 - (e1 - e0))) -v hz="$HZ" -v c="$cpu" 'BEGIN { o = b / hz - c; printf "%.2f", o < 0 ? 0 : o }')
    inner=-
    [[ $tool == package || $tool == batches ]] && inner=$(jq -r .seconds "$WORK/stdout")
    printf '   %-8s %9s rows  %7.3f s  peak RSS %5d MB  CPU %6s s  load %s  (other work %s CPU s%s)%s\n' \
        "$tool" "$rows" "$secs" $((rss / 1024)) "$cpu" "$load" "$others" \
        "$([[ $inner == - ]] || echo ", read $inner s in-process")" "${untimed:+  [warm-up, not counted]}" >&2
    [[ -n $untimed ]] || echo "$tool	$rows	$secs	$rss	$cpu	$load	$others	$inner" >>"$WORK/runs.tsv"
}

# --- runs --------------------------------------------------------------------------------------

rm -rf "$WORK/cli" "$WORK/peer.parquet"
: >"$WORK/runs.tsv"
export TSEXPORT_USERNAME=tsadmin TSEXPORT_PASSWORD=admin TS_PASSWORD=admin
unset TSEXPORT_TOKEN TSEXPORT_SECRET_KEY TSEXPORT_CONNECTION TSEXPORT_PASSWORD_FILE TSEXPORT_API RUST_LOG || true
load_start=$(cut -d' ' -f1-3 /proc/loadavg)

# Two forms of each page are cached: v1 COMPACT for the peer (about 14 MB per 100,000 rows) and v2
# for the package and the command line (which ask for the same pages); plus room.
cache_mb=$(( (ROWS + 99999) / 100000 * 2 * 20 + 64 ))
say "emulator: $ROWS rows, profile modern, page cache $cache_mb MB"
start_emulator "$ROWS" "$cache_mb" "$WORK/emulator.log"
echo "   $URL (pid $EMU_PID); tsexport $PKG_INFO" >&2
say "warm-up: one pass of each (fills the page cache for v1 and v2)"
for tool in cli package peer; do run_once "$tool" "$ROWS" untimed; done
echo "   emulator RSS $(emulator_rss_mb) MB after the warm-up" >&2
TOOLS=(package peer cli)
for i in $(seq 0 $((REPEAT - 1))); do
    say "repetition $((i + 1)) of $REPEAT"
    for j in 0 1 2; do
        run_once "${TOOLS[$(( (i + j) % 3 ))]}" "$ROWS"
    done
done
stop_emulator

if (( BIG_ROWS > 0 )); then
    cache_mb=$(( (BIG_ROWS + 99999) / 100000 * 20 + 64 ))
    say "emulator: $BIG_ROWS rows, profile modern, page cache $cache_mb MB"
    start_emulator "$BIG_ROWS" "$cache_mb" "$WORK/emulator-big.log"
    echo "   $URL (pid $EMU_PID)" >&2
    run_once batches "$BIG_ROWS" untimed
    echo "   emulator RSS $(emulator_rss_mb) MB after the warm-up" >&2
    for _ in $(seq 1 "$BIG_REPEAT"); do run_once batches "$BIG_ROWS"; done
    stop_emulator
fi
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

# --- report ------------------------------------------------------------------------------------

"$PY" - "$WORK/runs.tsv" "$BIN" "$BUILD_DESC" "$PKG_INFO" "$load_start" "$load_end" "$API" >"$RESULTS_MD" <<'EOF'
import os, platform, statistics, subprocess, sys
from importlib.metadata import version
tsv, binary, build, pkg, load_start, load_end, api = sys.argv[1:8]
runs = {}
for line in open(tsv):
    tool, rows, secs, rss, cpu, load, others, inner = line.rstrip("\n").split("\t")
    runs.setdefault(tool, []).append(dict(rows=int(rows), secs=float(secs), rss=int(rss) / 1024, cpu=float(cpu),
                                          load=float(load), others=float(others),
                                          inner=None if inner == "-" else float(inner)))
cpu_model = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.machine())
ts_version = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout.strip()
n = len(runs["package"])
print(f"All 15 columns of Retail Sales from the emulator (profile modern, pages cached); {os.cpu_count()} cores ({cpu_model}); "
      f"{ts_version} ({build}); Python package tsexport {pkg.split()[0]}; pyarrow {version('pyarrow')}, "
      f"requests {version('requests')}, Python {platform.python_version()}. {n} runs of each tool, taking turns; "
      f"load average {load_start} before, {load_end} after.")
print()
print("| tool | rows | median s | min s | peak RSS MB | ratio to package |")
print("|---|---:|---:|---:|---:|---:|")
names = {"package": f"tsexport package, `client.search(...).read_all()` ({api})",
         "peer": "peer: requests + pyarrow (`python_export.py`, v1), Parquet",
         "cli": f"`tsexport search --out DIR` ({api}), Parquet",
         "batches": f"tsexport package, `for batch in reader` ({api})"}
base = statistics.median(r["secs"] for r in runs["package"])
med = {}
for tool in ("package", "peer", "cli", "batches"):
    rs = runs.get(tool)
    if not rs:
        continue
    med[tool] = statistics.median(r["secs"] for r in rs)
    ratio = "—" if tool in ("package", "batches") else f"{med[tool] / base:.2f}x"
    print(f"| {names[tool]} | {rs[0]['rows']:,} | {med[tool]:.3f} | {min(r['secs'] for r in rs):.3f} | "
          f"{max(r['rss'] for r in rs):.0f} | {ratio} |")
print()
peer_ratio, cli_ratio = med["peer"] / med["package"], med["package"] / med["cli"]
print(f"- peer / package: {peer_ratio:.2f}x (median; goal at least 5x: {'met' if peer_ratio >= 5 else 'NOT met'}); "
      f"by min {min(r['secs'] for r in runs['peer']) / min(r['secs'] for r in runs['package']):.2f}x")
print(f"- package / CLI: {cli_ratio:.2f}x (median; goal at most 1.2x: {'met' if cli_ratio <= 1.2 else 'NOT met'}); "
      f"by min {min(r['secs'] for r in runs['package']) / min(r['secs'] for r in runs['cli']):.2f}x")
if "batches" in runs:
    b = runs["batches"]
    peak = max(r["rss"] for r in b)
    print(f"- {b[0]['rows']:,} rows batch by batch: peak RSS {peak:.0f} MB (goal under 500 MB: "
          f"{'met' if peak < 500 else 'NOT met'}), {statistics.median(r['secs'] for r in b):.2f} s")
inner = [r["inner"] for r in runs["package"]]
print(f"- package read in-process (Client to last row, without interpreter start-up and imports): "
      f"median {statistics.median(inner):.3f} s, min {min(inner):.3f} s")
print()
print("Seconds are wall time of the whole process, start-up included; peak RSS is the largest "
      "`Maximum resident set size` of /usr/bin/time -v over the runs.")
print()
print("Every run, in order (seconds; 1-minute load average before it; CPU seconds other work used during it): " + "; ".join(
    f"{t} " + ", ".join(f"{r['secs']:.3f} ({r['load']:.2f}; {r['others']:.2f})" for r in rs) for t, rs in runs.items()))
EOF
say "results (also in ${RESULTS_MD#"$ROOT"/})"
cat "$RESULTS_MD"
