#!/usr/bin/env bash
# End-to-end comparison of `tsexport search` against its peers on the same data (issue 5):
#   tsexport  searchdata over HTTP from the emulator -> Parquet zstd
#   duckdb    read_json of the same pages dumped to files -> COPY ... TO Parquet zstd (threads=2)
#   python    requests + dict rows + pyarrow.Table.from_pylist + pq.write_table (zstd), over HTTP
# then checks that the three outputs hold the same values (benches/peers/verify.py) and prints a
# Markdown table, also written to target/bench-results.md.
#
# Usage: benches/compare.sh [ROWS...]        default: 1000000 10000000; QUICK=1: 200000
# Environment:
#   QUICK=1            one small run (200,000 rows)
#   REPEAT=N           run each tool N times and keep the fastest run (default 1)
#   SKIP_BUILD=1       use target/release/tsexport as it is (default: cargo build --release first)
#   TSEXPORT_BIN=PATH  the tsexport binary to measure (implies SKIP_BUILD)
#   KEEP_OUTPUT=1      keep the Parquet outputs (default: deleted after verification; pages are kept)
#   PY_ACCUMULATE_MAX=N  the Python peer keeps every row in memory up to N rows (default 2000000;
#                      about 1.3 KB a row); above, it writes one file per page (python_export.py --per-page)
#
# Needs: a Rust toolchain, python3 with venv, and PyPI (the peers are pip-installed into
# target/bench-venv). /usr/bin/time comes from apt when missing.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

QUERY='[Order Line ID] [Order ID] [Customer] [Region] [Product] [Store ID] [Quantity] [Line Cents] [Sales] [Discount] [Is Returned] [Order Date] [Ship Time] [Order Time] [Loyalty Points] sort by [Order Line ID]'
SOURCE=5b0b1c4e-2f61-4c1a-9d3e-7a2f00000001
PAGE_ROWS=100000
REPEAT=${REPEAT:-1}
VENV=$ROOT/target/bench-venv
PY=$VENV/bin/python
DATA_ROOT=$ROOT/target/bench-data
RESULTS_MD=$ROOT/target/bench-results.md

if [[ $# -gt 0 ]]; then
    ROWS_LIST=("$@")
elif [[ ${QUICK:-0} == 1 ]]; then
    ROWS_LIST=(200000)
else
    ROWS_LIST=(1000000 10000000)
fi
for rows in "${ROWS_LIST[@]}"; do
    [[ $rows =~ ^[1-9][0-9]*$ ]] || { echo "compare.sh: ROWS must be positive integers, got '$rows'" >&2; exit 2; }
done
[[ $REPEAT =~ ^[1-9][0-9]*$ ]] || { echo "compare.sh: REPEAT must be a positive integer" >&2; exit 2; }

say() { printf '\n== %s\n' "$*" >&2; }
die() { echo "compare.sh: $*" >&2; exit 1; }

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

# --- tools -------------------------------------------------------------------------------------

if [[ ! -x /usr/bin/time ]]; then
    say "installing GNU time (apt)"
    command -v apt-get >/dev/null || die "/usr/bin/time is missing and there is no apt-get: install GNU time"
    SUDO=; [[ $(id -u) == 0 ]] || SUDO=sudo
    $SUDO apt-get install -y time >/dev/null 2>&1 || { $SUDO apt-get update >/dev/null && $SUDO apt-get install -y time >/dev/null; } \
        || die "could not install GNU time (apt-get install -y time)"
fi

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

REQS=$ROOT/benches/peers/requirements.txt
if [[ ! -x $PY ]] || ! cmp -s "$REQS" "$VENV/.requirements.txt"; then
    say "python venv at target/bench-venv (pip install -r benches/peers/requirements.txt)"
    command -v python3 >/dev/null || die "python3 is needed for the peers"
    rm -rf "$VENV"
    python3 -m venv "$VENV" || die "python3 -m venv failed (Debian: apt-get install python3-venv)"
    "$PY" -m pip install --quiet --upgrade pip >&2 || true
    "$PY" -m pip install --quiet -r "$REQS" >&2 || die "pip install -r $REQS failed"
    cp "$REQS" "$VENV/.requirements.txt"
fi

# --- helpers -----------------------------------------------------------------------------------

start_emulator() { # rows cache_mb log
    local rows=$1 cache_mb=$2 log=$3
    "$BIN" emulator --bind 127.0.0.1:0 --rows "$rows" --page-cache-mb "$cache_mb" >"$log" 2>&1 &
    EMU_PID=$!
    URL=
    for _ in $(seq 1 300); do
        URL=$(sed -n 's/^ThoughtSpot emulator.* at \(http:\/\/[0-9.:]*\).*/\1/p' "$log" | head -n 1)
        [[ -n $URL ]] && break
        kill -0 "$EMU_PID" 2>/dev/null || { cat "$log" >&2; die "the emulator exited before it was ready"; }
        sleep 0.1
    done
    [[ -n $URL ]] || { cat "$log" >&2; die "the emulator did not print its URL within 30 s"; }
}

# Fetches every page once the way python_export.py does (same parameters, so the same cache
# entries) and writes each response's bytes to DIR/page-NNNN.json.
dump_pages() { # url dir
    "$PY" - "$1" "$2" "$QUERY" "$SOURCE" "$PAGE_ROWS" <<'EOF'
import json, re, sys, requests
url, out, query, source, size = sys.argv[1:6]
api = url.rstrip("/") + "/callosum/v1/tspublic/v1"
s = requests.Session()
s.headers["X-Requested-By"] = "ThoughtSpot"
s.post(f"{api}/session/login", data={"username": "tsadmin", "password": "admin"}).raise_for_status()
offset, n, rows = 0, 0, 0
while True:
    r = s.post(f"{api}/searchdata", params={"query_string": query, "data_source_guid": source,
               "batchsize": int(size), "offset": offset, "formattype": "COMPACT"})
    r.raise_for_status()
    body = r.content
    with open(f"{out}/page-{n:04d}.json", "wb") as f:
        f.write(body)
    tail = body[-512:].decode("utf-8", "replace")
    m1, m2 = re.search(r'"rowCount":(\d+)', tail), re.search(r'"pageSize":(\d+)', tail)
    if m1 and m2:
        count, page_size = int(m1.group(1)), int(m2.group(1))
    else:
        page = json.loads(body)
        count, page_size = page["rowCount"], page["pageSize"]
    rows += count
    n += 1
    if count < page_size:
        break
    offset += count
s.post(f"{api}/session/logout")
print(f"{n} pages, {rows} rows", file=sys.stderr)
EOF
}

secs_now() { date +%s.%N; }

# Runs one tool under /usr/bin/time -v, REPEAT times, and appends its best run to the results.
# measure tool rows json_bytes out_path cmd...   (out_path is removed before each run)
measure() {
    local tool=$1 rows=$2 json_bytes=$3 out=$4; shift 4
    local best= best_line= i
    for i in $(seq 1 "$REPEAT"); do
        rm -rf "$out"
        local tfile="$RUN/${tool%% *}.time" log="$RUN/${tool%% *}.log" t0 t1
        say "$tool, $rows rows (run $i of $REPEAT)"
        t0=$(secs_now)
        if ! /usr/bin/time -v -o "$tfile" "$@" >"$log" 2>&1; then
            tail -n 40 "$log" >&2
            die "$tool failed (full output: $log)"
        fi
        t1=$(secs_now)
        local secs rss cpu size
        secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
        rss=$(awk -F': *' '/Maximum resident set size/ { print $2 }' "$tfile")
        cpu=$(awk -F': *' '/Percent of CPU this job got/ { sub("%", "", $2); print $2 }' "$tfile")
        size=$(find "$out" -name '*.parquet' -not -path '*_tsexport_staging*' -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')
        echo "   $secs s, peak RSS $((rss / 1024)) MB, CPU $cpu%, output $size bytes" >&2
        if [[ -z $best ]] || awk -v a="$secs" -v b="$best" 'BEGIN { exit !(a < b) }'; then
            best=$secs
            best_line="$tool	$rows	$secs	$rss	$cpu	$size	$json_bytes"
        fi
    done
    echo "$best_line" >>"$RESULTS_TSV"
}

# --- runs --------------------------------------------------------------------------------------

mkdir -p "$DATA_ROOT"
RESULTS_TSV=$DATA_ROOT/results.tsv
: >"$RESULTS_TSV"
: >"$DATA_ROOT/verify.log"
export TSEXPORT_USERNAME=tsadmin TSEXPORT_PASSWORD=admin TS_PASSWORD=admin
unset TSEXPORT_TOKEN TSEXPORT_SECRET_KEY TSEXPORT_CONNECTION TSEXPORT_PASSWORD_FILE || true

for rows in "${ROWS_LIST[@]}"; do
    PAGES=$DATA_ROOT/$rows
    RUN=$DATA_ROOT/$rows-run
    OUT=$ROOT/target/bench-out/$rows
    rm -rf "$PAGES" "$RUN" "$OUT"
    mkdir -p "$PAGES" "$RUN" "$OUT"

    # Two forms of each page are cached: the one tsexport requests and the one the Python peer (and
    # the dump) request. About 14 MB per 100,000 rows each, plus room.
    cache_mb=$(( (rows + 99999) / 100000 * 2 * 15 + 64 ))
    say "emulator: $rows rows, page cache $cache_mb MB"
    start_emulator "$rows" "$cache_mb" "$RUN/emulator.log"
    export TSEXPORT_URL=$URL
    echo "   $URL (pid $EMU_PID)" >&2

    say "warming the page cache and dumping pages to ${PAGES#"$ROOT"/}/"
    dump_pages "$URL" "$PAGES" || die "dumping pages failed"
    "$BIN" search "$QUERY" --source "$SOURCE" --out "$RUN/warm" --json --quiet >"$RUN/warm.json" 2>"$RUN/warm.log" \
        || { cat "$RUN/warm.log" >&2; die "tsexport warm-up run failed"; }
    rm -rf "$RUN/warm"
    json_bytes=$(find "$PAGES" -name 'page-*.json' -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')
    echo "   $(find "$PAGES" -name 'page-*.json' | wc -l) pages, $json_bytes bytes of JSON" >&2

    measure tsexport "$rows" "$json_bytes" "$OUT/tsexport" \
        "$BIN" search "$QUERY" --source "$SOURCE" --out "$OUT/tsexport" --json --quiet
    measure duckdb "$rows" "$json_bytes" "$OUT/duckdb.parquet" \
        "$PY" benches/peers/duckdb_export.py --pages "$PAGES/page-*.json" --out "$OUT/duckdb.parquet" --threads 2
    if (( rows <= ${PY_ACCUMULATE_MAX:-2000000} )); then
        PY_OUT=$OUT/python.parquet PY_LABEL=python PY_ARGS=()
    else
        PY_OUT=$OUT/python PY_LABEL="python (per page)" PY_ARGS=(--per-page)
    fi
    measure "$PY_LABEL" "$rows" "$json_bytes" "$PY_OUT" \
        "$PY" benches/peers/python_export.py --url "$URL" --query "$QUERY" --source "$SOURCE" --out "$PY_OUT" "${PY_ARGS[@]}"
    stop_emulator

    say "verifying the outputs ($rows rows)"
    verify_status=0
    "$PY" benches/peers/verify.py --tsexport "$OUT/tsexport" --peer "duckdb=$OUT/duckdb.parquet" \
        --peer "python=$PY_OUT" --reference python --expect-rows "$rows" \
        --json "$RUN/verify.json" 2>&1 | tee -a "$DATA_ROOT/verify.log" >&2 || verify_status=$?
    if [[ ${KEEP_OUTPUT:-0} != 1 ]]; then rm -rf "$OUT"; fi
    [[ $verify_status == 0 ]] || die "verification failed for $rows rows: tsexport's output does not match the Python peer's (see above)"
done

# --- report ------------------------------------------------------------------------------------

"$PY" - "$RESULTS_TSV" "$DATA_ROOT" "$BIN" "$REPEAT" "$BUILD_DESC" >"$RESULTS_MD" <<'EOF'
import csv, json, os, platform, subprocess, sys
from importlib.metadata import version
tsv, data_root, binary, repeat, build = sys.argv[1:6]
rows = [r for r in csv.reader(open(tsv), delimiter="\t") if r]
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.machine())
ts_version = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout.strip()
print(f"Machine: {os.cpu_count()} cores ({cpu}), {os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB; "
      f"{ts_version} ({build}); duckdb {version('duckdb')}, pyarrow {version('pyarrow')}, requests {version('requests')}, "
      f"Python {platform.python_version()}. Best of {repeat} run(s) each.")
print()
print("| tool | rows | seconds | M rows/s | MB/s of JSON | peak RSS MB | CPU % | output MB | tsexport speed-up | values vs tsexport |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
best_ts = {r[1]: float(r[2]) for r in rows if r[0] == "tsexport"}
for tool, n, secs, rss, cpu_pct, size, json_bytes in rows:
    secs = float(secs)
    n_rows = int(n)
    verdict = ""
    base_tool = tool.split()[0]
    vfile = os.path.join(data_root, f"{n}-run", "verify.json")
    if os.path.exists(vfile):
        cols = json.load(open(vfile)).get(tool.split()[0], [])
        verdict = ("ok" if base_tool == "tsexport" else "same") if not cols else "differs: " + ", ".join(cols)
    ratio = "—" if tool == "tsexport" or n not in best_ts else f"{secs / best_ts[n]:.1f}x"
    print(f"| {tool} | {n_rows:,} | {secs:.2f} | {n_rows / secs / 1e6:.2f} | {int(json_bytes) / secs / 1e6:.0f} | "
          f"{int(rss) / 1024:.0f} | {cpu_pct} | {int(size) / 1e6:.1f} | {ratio} | {verdict} |")
EOF
say "results (also in ${RESULTS_MD#"$ROOT"/})"
cat "$RESULTS_MD"
