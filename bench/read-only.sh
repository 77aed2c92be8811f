#!/usr/bin/env bash
# Reading alone: a rule pack of one rule that never fires, so that what a check costs is
# (almost) all the reader's. Times each given probity binary on a synthetic canonical CSV
# filing and the same receipts as a .fec v8.3 filing (bench/run.py's generators), side
# by side, best of N runs, and checks that the binaries write the same JSON report.
#
#   bench/read-only.sh [--mb 20] [--runs 3] [--keep DIR] [--file FILING ...] [BINARY ...]
#
# With no binary: this checkout's .build/release/probity (swift build -c release --static-swift-stdlib --experimental-lto-mode=full).
# --file adds a filing of your own (any format probity tells from its content), e.g. the
# UK register unzipped from ../shared/data/uk/ec_donations_all_2001_2026.zip.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
MB=20
RUNS=3
KEEP=""
BINS=()
EXTRA=()
while [ $# -gt 0 ]; do
  case "$1" in
    --mb) MB="$2"; shift 2 ;;
    --runs) RUNS="$2"; shift 2 ;;
    --keep) KEEP="$2"; shift 2 ;;
    --file) EXTRA+=("$(cd "$(dirname "$2")" && pwd)/$(basename "$2")"); shift 2 ;;
    *) BINS+=("$1"); shift ;;
  esac
done
[ ${#BINS[@]} -gt 0 ] || BINS=("$ROOT/.build/release/probity")
if [ -n "$KEEP" ]; then WORK="$KEEP"; mkdir -p "$WORK"; else WORK="$(mktemp -d)"; trap 'rm -rf "$WORK"' EXIT; fi

if [ ! -s "$WORK/filing.csv" ] || [ ! -s "$WORK/filing.fec" ]; then
  python3 - "$ROOT/bench" "$WORK" "$MB" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
import run
work, mb = sys.argv[2], float(sys.argv[3])
run.generate_csv(f"{work}/filing.csv", int(mb * 1024 * 1024), 0.2)
run.generate_fec(f"{work}/filing.csv", f"{work}/filing.fec")
PY
fi
mkdir -p "$WORK/rules"
cat > "$WORK/rules/noop.probity" <<'RULE'
rule BENCH-NOOP-001 {
  title "Never fires"
  severity info
  category data-quality
  citation "none"
  applies receipt, disbursement
  when false
  message "never"
}
RULE

printf "%-14s %-50s %8s %8s %9s\n" filing binary "best s" "user s" "MB/s"
for file in "$WORK/filing.csv" "$WORK/filing.fec" "${EXTRA[@]}"; do
  size=$(stat -L -c %s "$file")
  first=""
  for bin in "${BINS[@]}"; do
    best=""; bestuser=""
    for _ in $(seq "$RUNS"); do
      out="$WORK/out.$$.json"
      # Exit 1 (rejected rows) is an answer too.
      t=$( { /usr/bin/time -f "%e %U" "$bin" check --rules "$WORK/rules" --format json "$file" >"$out" || true; } 2>&1 | grep -E "^[0-9.]+ [0-9.]+$" | tail -1)
      wall=${t% *}; user=${t#* }
      if [ -z "$best" ] || [ "$(echo "$wall < $best" | bc)" = 1 ]; then best=$wall; bestuser=$user; fi
    done
    if [ -z "$first" ]; then first="$WORK/first.json"; cp "$out" "$first"
    elif ! cmp -s "$out" "$first"; then echo "DIFFERENT OUTPUT: $bin on $file" >&2; fi
    printf "%-14s %-50s %8s %8s %9.1f\n" "$(basename "$file" | cut -c1-14)" "$bin" "$best" "$bestuser" "$(echo "$size / 1048576 / $best" | bc -l)"
  done
done
