#!/usr/bin/env bash
# Measures how Probity's memory grows with the number of distinct donors (groups), with
# the full US federal pack: synthetic canonical CSV files of N donors, one gift each, at
# two sizes; peak RSS of each run; the difference divided by the difference in donors.
#
#   bench/memory-per-group.sh [N1] [N2]      (default 50000 and 200000)
#
# Needs a release build (swift build -c release --static-swift-stdlib --experimental-lto-mode=full) and GNU time (Debian's `time` package).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
N1="${1:-50000}"
N2="${2:-200000}"
BIN="$ROOT/.build/release/probity"
[ -x "$BIN" ] || swift build -c release --static-swift-stdlib --experimental-lto-mode=full --product probity >&2
command -v /usr/bin/time >/dev/null || { echo "install GNU time: apt-get install -y time" >&2; exit 2; }
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

generate() {  # N FILE: N distinct individual donors, one $100 gift each, to a House committee
  python3 - "$1" "$2" <<'PY'
import sys
n, path = int(sys.argv[1]), sys.argv[2]
with open(path, "w") as f:
    f.write("kind,committee_type,transaction_id,entity_type,name,street1,city,state,zip,employer,occupation,date,amount,aggregate,election_code,memo,payment_method\n")
    for i in range(n):
        f.write(f"receipt,H,T{i},IND,\"DONOR{i}, PAT\",1 Main St,Dayton,OH,{45000 + i % 900:05d},Acme,Clerk,2024-03-{1 + i % 28:02d},100.00,100.00,P2024,,check\n")
PY
}

peak_kb() {  # FILE: peak resident set size of a check, in KiB
  /usr/bin/time -v "$BIN" check --rules Rules/us-federal --format json "$1" 2>&1 >/dev/null \
    | awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}'
}

generate "$N1" "$WORK/a.csv"
generate "$N2" "$WORK/b.csv"
A=$(peak_kb "$WORK/a.csv")
B=$(peak_kb "$WORK/b.csv")
echo "donors   peak RSS"
printf "%7d  %6.1f MiB\n" "$N1" "$(echo "$A / 1024" | bc -l)"
printf "%7d  %6.1f MiB\n" "$N2" "$(echo "$B / 1024" | bc -l)"
printf "per donor: %.0f bytes (each donor is a group in 4 of the pack's rules: US-EXCESS-001, US-REMEDY-001, US-AGG-001, US-BESTEFF-003)\n" "$(echo "($B - $A) * 1024 / ($N2 - $N1)" | bc -l)"
