#!/usr/bin/env bash
# What a check of a small filing costs: a CI gate checks one filing per run, so there the
# cost is starting up (loading and compiling the pack, the kernels) more than reading.
# Times `probity check` with the full US pack on a small fixture and, when
# ../shared/data/fec is there, a small real .fec: --runs runs per binary, in --rounds
# rounds (each round runs every binary in turn, so that the machine's drift falls on all
# alike), and reports the best round's milliseconds per run. Checks that the binaries
# write the same JSON report; stops if one fails (an exit other than 0 or 1).
#
#   bench/startup.sh [--runs 20] [--rounds 3] [BINARY ...]
#
# With no binary: this checkout's .build/release/probity (swift build -c release --static-swift-stdlib --experimental-lto-mode=full).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
RUNS=20
ROUNDS=3
BINS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS="$2"; shift 2 ;;
    --rounds) ROUNDS="$2"; shift 2 ;;
    *) BINS+=("$1"); shift ;;
  esac
done
[ ${#BINS[@]} -gt 0 ] || BINS=("$ROOT/.build/release/probity")
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
FILES=("$ROOT/Fixtures/us-federal/receipts.csv")
[ -f "$ROOT/../shared/data/fec/1260488.fec" ] && FILES+=("$ROOT/../shared/data/fec/1260488.fec")

declare -A best
for _ in $(seq "$ROUNDS"); do
  for file in "${FILES[@]}"; do
    for i in "${!BINS[@]}"; do
      bin="${BINS[$i]}"
      out="$WORK/out.$i.$(basename "$file").json"
      start=$(date +%s%N)
      for _ in $(seq "$RUNS"); do
        # Exit 1 (findings) is an answer too.
        "$bin" check --rules "$ROOT/Rules/us-federal" --as-of 2026-01-01 --format json "$file" \
          >"$out" 2>"$WORK/err" || {
          rc=$?
          [ $rc -eq 1 ] || { echo "$bin exited $rc on $file:" >&2; cat "$WORK/err" >&2; exit $rc; }
        }
      done
      us=$(( ($(date +%s%N) - start) / RUNS / 1000 ))
      key="$file|$i"
      if [ -z "${best[$key]:-}" ] || [ "$us" -lt "${best[$key]}" ]; then best[$key]=$us; fi
    done
  done
done

printf "%-16s %-50s %12s\n" filing binary "ms per run"
for file in "${FILES[@]}"; do
  for i in "${!BINS[@]}"; do
    if ! cmp -s "$WORK/out.$i.$(basename "$file").json" "$WORK/out.0.$(basename "$file").json"; then
      echo "DIFFERENT OUTPUT: ${BINS[$i]} on $file" >&2
    fi
    us=${best["$file|$i"]}
    printf "%-16s %-50s %10d.%01d\n" "$(basename "$file" | cut -c1-16)" "${BINS[$i]}" \
      $((us / 1000)) $((us % 1000 / 100))
  done
done
