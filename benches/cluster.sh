#!/usr/bin/env bash
# `--in-flight auto` against fixed `--in-flight N` on three emulated clusters (issue 18): one
# emulator per model, started once, and every setting exported from it in the same run (so the
# fixed settings are the baseline measured alongside). The models (docs/emulator.md "Cluster model"):
#   fast     no latency, no limits; 2,000,000 rows in 100,000-row pages. No cluster-side ceiling:
#            the share column is of the model's best setting.
#   slow     page_latency_ms=400 max_concurrent=6; 1,000,000 rows in 20,000-row pages.
#            Ceiling: 6 pages per 0.4 s = 300,000 rows/s. Also runs `--in-flight 6`.
#   limited  page_latency_ms=20 rate_limit_per_sec=20 rate_limit_burst=5; 1,000,000 rows in
#            10,000-row pages. Ceiling: 20 requests/s x 10,000 rows = 200,000 rows/s.
# Settings: auto, 2, 15, 1 (sequential); the slow model adds 6, which issue 18's done condition
# compares auto with (auto/6 <= 1.15, 2/auto >= 1.5). Each emulator keeps its rendered pages
# (--page-cache-mb) and one untimed export fills that cache first, so every setting is served the
# same way. Seconds are the export's own (`"seconds"` of the --json summary: sign-in to manifest).
#
# Prints a Markdown table, also written to target/cluster-results.md, then per model auto against
# the best fixed setting and auto's 429s against fixed 15, then the issue's goal lines. A run that
# exits nonzero or writes other than the model's rows is flagged in the table and makes the script
# exit 1 at the end.
#
# Usage: benches/cluster.sh
# Environment:
#   MODELS="fast slow limited"  the models to run, in order (default: all three)
#   REPEAT=N           keep the fastest of N runs per cell (default 1)
#   FAST_ROWS, SLOW_ROWS, LIMITED_ROWS  rows of each model (defaults 2000000, 1000000, 1000000)
#   SKIP_BUILD=1       use target/release/tsexport as it is (default: cargo build --release first)
#   TSEXPORT_BIN=PATH  the tsexport binary to measure (implies SKIP_BUILD)
#
# Needs: a Rust toolchain, curl, python3.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

QUERY='[Order Line ID] [Sales] sort by [Order Line ID]'
SOURCE='Retail Sales'
REPEAT=${REPEAT:-1}
MODELS=${MODELS:-fast slow limited}
FAST_ROWS=${FAST_ROWS:-2000000}
SLOW_ROWS=${SLOW_ROWS:-1000000}
LIMITED_ROWS=${LIMITED_ROWS:-1000000}
WORK=$ROOT/target/cluster-bench
RESULTS_MD=$ROOT/target/cluster-results.md

say() { printf '\n== %s\n' "$*" >&2; }
die() { echo "cluster.sh: $*" >&2; exit 1; }

[[ $REPEAT =~ ^[1-9][0-9]*$ ]] || { echo "cluster.sh: REPEAT must be a positive integer" >&2; exit 2; }
for n in "$FAST_ROWS" "$SLOW_ROWS" "$LIMITED_ROWS"; do
    [[ $n =~ ^[1-9][0-9]*$ ]] || { echo "cluster.sh: row counts must be positive integers, got '$n'" >&2; exit 2; }
done
for m in $MODELS; do
    [[ $m == fast || $m == slow || $m == limited ]] || { echo "cluster.sh: unknown model '$m' (fast, slow, limited)" >&2; exit 2; }
done
command -v python3 >/dev/null || die "python3 is needed to read the summaries"
command -v curl >/dev/null || die "curl is needed to wait for the emulator"

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

# --- binary ------------------------------------------------------------------------------------

if [[ -n ${TSEXPORT_BIN:-} ]]; then
    BIN=$TSEXPORT_BIN
else
    BIN=$ROOT/target/release/tsexport
    if [[ ${SKIP_BUILD:-0} != 1 ]]; then
        say "cargo build --release (a no-op when up to date)"
        cargo build --release --bin tsexport >&2 || die "cargo build --release failed"
    fi
fi
[[ -x $BIN ]] || die "no tsexport binary at $BIN (run cargo build --release, or unset SKIP_BUILD)"
if [[ -n ${TSEXPORT_BIN:-} ]]; then
    BUILD_DESC="binary ${TSEXPORT_BIN#"$ROOT"/}"
elif BUILD_DESC="commit $(git rev-parse --short HEAD 2>/dev/null)"; then
    git diff --quiet HEAD -- src Cargo.toml Cargo.lock 2>/dev/null || BUILD_DESC+=" with local changes"
else
    BUILD_DESC="a tree outside git"
fi

# --- helpers -----------------------------------------------------------------------------------

start_emulator() { # rows log settings...
    local rows=$1 log=$2; shift 2
    local sets=() s
    for s in "$@"; do sets+=(--set "$s"); done
    "$BIN" emulator --bind 127.0.0.1:0 --rows "$rows" --page-cache-mb 512 "${sets[@]}" >"$log" 2>&1 &
    EMU_PID=$!
    URL=
    for _ in $(seq 1 300); do
        URL=$(sed -n 's/^ThoughtSpot emulator.* at \(http:\/\/[0-9.:]*\).*/\1/p' "$log" | head -n 1)
        [[ -n $URL ]] && break
        kill -0 "$EMU_PID" 2>/dev/null || { cat "$log" >&2; die "the emulator exited before it was ready"; }
        sleep 0.1
    done
    [[ -n $URL ]] || { cat "$log" >&2; die "the emulator did not print its URL within 30 s"; }
    for _ in $(seq 1 100); do
        [[ $(curl -s -o /dev/null -w '%{http_code}' "$URL/" || true) != 000 ]] && return 0
        sleep 0.1
    done
    die "the emulator at $URL did not answer within 10 s"
}

# export page_size setting out json log -> exit code in $RC
run_export() {
    local page=$1 setting=$2 out=$3 json=$4 log=$5
    rm -rf "$out"
    RC=0
    "$BIN" search "$QUERY" --source "$SOURCE" --url "$URL" --page-size "$page" --in-flight "$setting" \
        --out "$out" --quiet --json >"$json" 2>"$log" || RC=$?
    rm -rf "$out"
}

# summary.json exit wall -> "seconds<TAB>rows<TAB>429s<TAB>retries<TAB>peak<TAB>final_limit<TAB>sent"
read_summary() {
    python3 - "$1" "$2" "$3" <<'EOF'
import json, sys
path, rc, wall = sys.argv[1:4]
try:
    s = json.load(open(path))
    r = s.get("requests") or {}
    f = lambda k: str(r.get(k, "-"))
    print("\t".join([f"{float(s['seconds']):.3f}", str(s["rows"]), f("rate_limited"), f("retries"),
                     f("peak_in_flight"), f("final_limit"), f("requests")]))
except Exception:
    # No summary (the export failed): the wall-clock time, and nothing else known.
    print("\t".join([f"{float(wall):.3f}", "-", "-", "-", "-", "-", "-"]))
EOF
}

secs_now() { date +%s.%N; }

# measure model rows page setting: REPEAT runs, the fastest appended to the results. A failed or
# short run wins over any good one, so a flaw is never hidden by a faster repeat.
measure() {
    local model=$1 rows=$2 page=$3 setting=$4
    local best= best_line= bad=0 i t0 t1 wall line secs got
    for i in $(seq 1 "$REPEAT"); do
        local base=$RUN/$model-$setting-$i
        say "$model: --in-flight $setting (run $i of $REPEAT)"
        t0=$(secs_now)
        run_export "$page" "$setting" "$RUN/out" "$base.json" "$base.log"
        t1=$(secs_now)
        wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
        line=$(read_summary "$base.json" "$RC" "$wall")
        secs=${line%%$'\t'*}
        got=$(cut -f2 <<<"$line")
        echo "   exit $RC, $secs s, rows $got; $(grep -c ' 429 \|HTTP 429' "$base.log" || true) 429 warnings logged" >&2
        if [[ $RC != 0 || $got != "$rows" ]]; then
            [[ $RC != 0 ]] && tail -n 20 "$base.log" >&2
            if (( bad == 0 )); then best_line="$model	$setting	$rows	$RC	$line"; fi
            bad=1
            continue
        fi
        (( bad == 1 )) && continue
        if [[ -z $best ]] || awk -v a="$secs" -v b="$best" 'BEGIN { exit !(a < b) }'; then
            best=$secs
            best_line="$model	$setting	$rows	$RC	$line"
        fi
    done
    echo "$best_line" >>"$RESULTS_TSV"
}

# --- runs --------------------------------------------------------------------------------------

rm -rf "$WORK"
mkdir -p "$WORK"
RESULTS_TSV=$WORK/results.tsv
: >"$RESULTS_TSV"
export TSEXPORT_USERNAME=tsadmin TSEXPORT_PASSWORD=admin
unset TSEXPORT_URL TSEXPORT_TOKEN TSEXPORT_SECRET_KEY TSEXPORT_CONNECTION TSEXPORT_PASSWORD_FILE || true
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

for model in $MODELS; do
    case $model in
        fast)    rows=$FAST_ROWS;    page=100000; settings=(auto 2 15 1);   cluster=() ;;
        slow)    rows=$SLOW_ROWS;    page=20000;  settings=(auto 2 6 15 1); cluster=(page_latency_ms=400 max_concurrent=6) ;;
        limited) rows=$LIMITED_ROWS; page=10000;  settings=(auto 2 15 1);   cluster=(page_latency_ms=20 rate_limit_per_sec=20 rate_limit_burst=5) ;;
    esac
    RUN=$WORK/$model
    mkdir -p "$RUN"
    say "emulator for '$model': $rows rows, ${cluster[*]:-no cluster limits}"
    start_emulator "$rows" "$RUN/emulator.log" "${cluster[@]}"
    echo "   $URL (pid $EMU_PID)" >&2

    say "$model: warm-up export (untimed; fills the emulator's page cache)"
    run_export "$page" 2 "$RUN/out" "$RUN/warm.json" "$RUN/warm.log"
    [[ $RC == 0 ]] || { tail -n 20 "$RUN/warm.log" >&2; die "the warm-up export failed against the '$model' model"; }
    sleep 1 # a rate limit's bucket is full again

    for setting in "${settings[@]}"; do
        measure "$model" "$rows" "$page" "$setting"
        sleep 1
    done
    stop_emulator
done
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# --- report ------------------------------------------------------------------------------------

status=0
python3 - "$RESULTS_TSV" "$BIN" "$REPEAT" "$BUILD_DESC" "$LOAD_BEFORE" "$LOAD_AFTER" >"$RESULTS_MD" <<'EOF' || status=$?
import os, platform, subprocess, sys
tsv, binary, repeat, build, load_before, load_after = sys.argv[1:7]
CEILING = {"fast": None, "slow": 300_000, "limited": 200_000}
DESC = {"fast": "fast pages", "slow": "slow pages, capacity 6", "limited": "rate-limited 20/s"}
cells = []
for line in open(tsv):
    if not line.strip():
        continue
    model, setting, rows, rc, secs, got, r429, retries, peak, final, sent = line.rstrip("\n").split("\t")
    cells.append(dict(model=model, setting=setting, rows=int(rows), rc=int(rc), secs=float(secs), got=got,
                      r429=r429, retries=retries, peak=peak, final=final, sent=sent,
                      ok=int(rc) == 0 and got == rows))
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.machine())
version = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout.strip()
print(f"Machine: {os.cpu_count()} cores ({cpu}); {version} ({build}). Fastest of {repeat} run(s) per cell. "
      f"Load average (1, 5, 15 min) before: {load_before}; after: {load_after}.")
print()
print("| model | setting | seconds | rows/s | share of ceiling | 429s | retries | peak in flight | exit | rows |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
models = list(dict.fromkeys(c["model"] for c in cells))
best = {}
for m in models:
    good = [c for c in cells if c["model"] == m and c["ok"]]
    best[m] = max((c["rows"] / c["secs"] for c in good), default=None)
failed = False
for c in cells:
    rate = c["rows"] / c["secs"] if c["ok"] else None
    ceiling = CEILING[c["model"]]
    if rate is None:
        share = "—"
    elif ceiling:
        share = f"{rate / ceiling:.0%} of {ceiling:,}"
    else:
        share = f"{rate / best[c['model']]:.0%} of best"
    rows_cell = f"{int(c['got']):,}" if c["got"].isdigit() else c["got"]
    if not c["ok"]:
        failed = True
        rows_cell = f"**{rows_cell} (expected {c['rows']:,})**" if c["got"] != str(c["rows"]) else rows_cell
    exit_cell = str(c["rc"]) if c["rc"] == 0 else f"**{c['rc']}**"
    setting = "1 (sequential)" if c["setting"] == "1" else c["setting"]
    print(f"| {DESC[c['model']]} | {setting} | {c['secs']:.2f} | {f'{rate:,.0f}' if rate else '—'} | {share} | "
          f"{c['r429']} | {c['retries']} | {c['peak']} | {exit_cell} | {rows_cell} |")
print()
by = {(c["model"], c["setting"]): c for c in cells}
for m in models:
    auto = by.get((m, "auto"))
    fixed = [c for c in cells if c["model"] == m and c["setting"] != "auto" and c["ok"]]
    if not auto or not auto["ok"] or not fixed:
        print(f"- {DESC[m]}: no comparison (a run failed)")
        continue
    bf = min(fixed, key=lambda c: c["secs"])
    line = f"- {DESC[m]}: auto / best fixed ({bf['setting']}) = {auto['secs'] / bf['secs']:.2f} in seconds"
    f15 = by.get((m, "15"))
    if f15 and f15["ok"] and auto["r429"].isdigit() and f15["r429"].isdigit():
        a, f = int(auto["r429"]), int(f15["r429"])
        verdict = "fewer 429s than" if a < f else ("as many 429s as" if a == f else "more 429s than")
        line += f"; auto had {verdict} fixed 15 ({a} against {f})"
    print(line)
a, six, two = by.get(("slow", "auto")), by.get(("slow", "6")), by.get(("slow", "2"))
if a and six and two and a["ok"] and six["ok"] and two["ok"]:
    r1, r2 = a["secs"] / six["secs"], two["secs"] / a["secs"]
    print()
    print(f"Issue 18 (slow model): auto/6 = {r1:.2f} (goal <= 1.15, {'met' if r1 <= 1.15 else 'not met'}), "
          f"2/auto = {r2:.2f} (goal >= 1.5, {'met' if r2 >= 1.5 else 'not met'})")
if failed:
    print()
    print("**Some runs failed or wrote the wrong number of rows (bold above).**")
    sys.exit(3)
EOF
say "results (also in ${RESULTS_MD#"$ROOT"/})"
cat "$RESULTS_MD"
if [[ $status != 0 ]]; then
    [[ $status == 3 ]] || die "the report could not be written (python3 exited $status)"
    echo "cluster.sh: some runs failed or wrote the wrong number of rows" >&2
    exit 1
fi
