#!/usr/bin/env bash
# Do two probity binaries read every filing the same? Runs both on the real filings in
# ../shared/data (zips unpacked), the fixtures, and synthetic filings with hostile cells,
# with the bundled rule packs, a pack that reads few fields (Fixtures/narrow-pack, in
# JSON, SARIF, and with personal data withheld), and with a "dump" pack whose rules fire on every record and
# print every field of it (so every value read, and every rejection, is in the output),
# and compares standard output, standard error and the exit code byte for byte (JUnit and
# GitHub annotations with the US pack too, and an audit of all the inputs with each pack,
# its five documents compared).
#
#   bench/same-output.sh OLD_BINARY NEW_BINARY
#
# Prints each difference; exits 1 when there is one.
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OLD="$1"
NEW="$2"
SHARED="$ROOT/../shared/data"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# The dump pack: one rule per record kind, a message naming every field of that kind.
mkdir -p "$WORK/dump" "$WORK/inputs"
python3 - "$ROOT/Sources/ProbityCore/Schema.swift" "$WORK/dump/dump.probity" <<'PY'
import re, sys
schema = open(sys.argv[1]).read()
fields = re.findall(r'FieldSpec\(\s*name: "(\w+)", type: \.\w+, kinds: (both|\[[^\]]*\])', schema)
with open(sys.argv[2], "w") as out:
    for kind in ["receipt", "disbursement"]:
        names = [n for n, k in fields if k == "both" or kind in k]
        holes = "|".join("%s={%s}" % (n, n) for n in names)
        out.write('rule DUMP-%s {\n  title "every field"\n  severity info\n  category data-quality\n'
                  '  citation "none"\n  applies %s\n  when true\n  message "%s"\n}\n\n'
                  % (kind.upper(), kind, holes))
PY


# Inputs: real filings, unpacked archives, fixtures.
for f in "$SHARED"/fec/*.fec "$SHARED"/fec-bulk/*.txt "$SHARED"/uk/*.csv; do
  [ -f "$f" ] && ln -s "$f" "$WORK/inputs/$(basename "$f")"
done
for z in "$SHARED"/fec/*.zip "$SHARED"/uk/*.zip; do
  [ -f "$z" ] && mkdir -p "$WORK/inputs/$(basename "$z" .zip)" && unzip -q -o "$z" -d "$WORK/inputs/$(basename "$z" .zip)"
done
find "$ROOT/Fixtures" -type f \( -name '*.csv' -o -name '*.fec' -o -name '*.txt' -o -name '*.xml' \) \
  | while read -r f; do ln -s "$f" "$WORK/inputs/fixture-$(echo "${f#"$ROOT/Fixtures/"}" | tr / _)"; done

# Synthetic filings with every kind of cell, good and bad, in every column.
python3 - "$WORK/inputs" <<'PY'
import sys, random
out = sys.argv[1]
header = ["kind", "filer_id", "committee_type", "form_type", "transaction_id", "entity_type", "name",
          "street1", "city", "state", "zip", "employer", "occupation", "date", "amount", "aggregate",
          "election_code", "memo", "payment_method"]
cells = ["", " ", "1234.50", "$1,234.50", "-5.00", "(5.00)", "1,2,3", "12.345", "1e5", "£5", "$-",
         "2024-03-01", "20240301", "2024-02-30", "03/01/2024", "yes", "X", "x", "true", "maybe",
         "Café", "DONOR, PAT", " padded ", "\t tab", "receipt", "RECEIPT ", "disbursement", "skip",
         "bogus", "42", "-7", "O'Brien", "a \"quoted\" word", "line\nbreak", "caf\xe9", "\x91x\x92",
         "\x81", "ok\x00nul", "9999999999999999999.99"]
rng = random.Random(11)
for encoding_name, data_encoding in [("utf8", "utf-8"), ("cp1252", "latin-1")]:
    lines = [",".join(header)]
    for i in range(3000):
        row = []
        for column in header:
            if rng.random() < 0.8:
                good = {"kind": "receipt", "date": "2024-03-%02d" % (1 + i % 28), "amount": "%d.%02d" % (i, i % 100),
                        "aggregate": "", "memo": "", "entity_type": "IND", "committee_type": "H"}
                row.append(good.get(column, "v%d" % i))
            else:
                row.append(rng.choice(cells))
        quoted = []
        for cell in row:
            if any(c in cell for c in ',"\n') or rng.random() < 0.1:
                cell = '"' + cell.replace('"', '""') + '"'
            quoted.append(cell)
        lines.append(",".join(quoted))
    with open(f"{out}/synthetic-{encoding_name}.csv", "wb") as f:
        f.write(("\r\n".join(lines) + "\r\n").encode(data_encoding, errors="replace"))
# A .fec v8.3 with odd cells.
fs = "\x1c"
lines = [fs.join(["HDR", "FEC", "8.3", "x", "1", "", ""]),
         fs.join(["F3N", "C00999001", "Bench", "1 Main", "", "Dayton", "OH", "45402", "X", "OH", "10", "Q2", "", "", "", "20240101", "20240930"])]
for i in range(3000):
    amount = rng.choice(["%d.00" % i, "", "1,000.00", "12.345", "abc", "-5", "(5)", "$5"]) if rng.random() < 0.2 else "%d.50" % i
    date = rng.choice(["20240230", "2024-01-01", "", "2024011"]) if rng.random() < 0.1 else "202401%02d" % (1 + i % 28)
    memo = rng.choice(["", "X", "x", "Y", " X "])
    name = rng.choice(["SMITH", "Caf\xe9", "\x81BAD", "O'NEIL", "  PAD  "])
    form = rng.choice(["SA11AI", "SA11AI", "sa11ai", "SB17", "SC/10", "TEXT", "ZZ99"])
    lines.append(fs.join([form, "C00999001", "T%d" % i, "", "", rng.choice(["IND", "ORG"]), "", name, "PAT", "", "", "",
                          "1 Main", "", "Dayton", "OH", "45402", "P2024", "", date, amount, "", memo, "Acme", "Clerk"]))
    if i % 500 == 0:
        lines += ["[BEGINTEXT]", "free text, with " + fs + " separators", "[ENDTEXT]"]
for ending, suffix in [("\n", ""), ("\r\n", "-crlf"), ("\r", "-cr")]:
    with open(f"{out}/synthetic{suffix}.fec", "wb") as f:
        f.write((ending.join(lines) + ending).encode("latin-1"))
# The CSV filings with lone CRs and LFs for line endings too, and without the last one.
for name in ["synthetic-utf8", "synthetic-cp1252"]:
    data = open(f"{out}/{name}.csv", "rb").read()
    open(f"{out}/{name}-lf.csv", "wb").write(data.replace(b"\r\n", b"\n"))
    open(f"{out}/{name}-cr.csv", "wb").write(data.replace(b"\r\n", b"\r").replace(b"\n", b" "))
    open(f"{out}/{name}-noend.csv", "wb").write(data[:-2])
PY
# The benchmark's filings, small: many 64 KiB chunks, lines across their boundaries.
python3 - "$ROOT/bench" "$WORK/inputs" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
import run
run.generate_csv(f"{sys.argv[2]}/bench.csv", 2 * 1024 * 1024, 0.2)
run.generate_fec(f"{sys.argv[2]}/bench.csv", f"{sys.argv[2]}/bench.fec")
PY

status=0
compare() {  # NAME ARGS...
  local name="$1"; shift
  "$OLD" "$@" >"$WORK/old.out" 2>"$WORK/old.err"; local old_rc=$?
  "$NEW" "$@" >"$WORK/new.out" 2>"$WORK/new.err"; local new_rc=$?
  if [ $old_rc != $new_rc ] || ! cmp -s "$WORK/old.out" "$WORK/new.out" || ! cmp -s "$WORK/old.err" "$WORK/new.err"; then
    echo "DIFFERENT: $name (exit $old_rc vs $new_rc)"
    diff <(cat "$WORK/old.out" "$WORK/old.err") <(cat "$WORK/new.out" "$WORK/new.err") | head -10
    status=1
  fi
  compared=$((compared + 1))
}
compared=0
while read -r input; do
  for pack in "$WORK/dump" "$ROOT/Rules/us-federal" "$ROOT/Rules/uk-ppera"; do
    for format in json text; do
      compare "$(basename "$input") $(basename "$pack") $format" check --rules "$pack" --format "$format" "$input"
    done
  done
  for format in json sarif; do
    compare "$(basename "$input") narrow $format" check --rules "$ROOT/Fixtures/narrow-pack" --format "$format" "$input"
  done
  compare "$(basename "$input") narrow withheld" check --rules "$ROOT/Fixtures/narrow-pack" --format json --withhold-personal-data "$input"
  for format in junit github; do
    compare "$(basename "$input") us-federal $format" check --rules "$ROOT/Rules/us-federal" --format "$format" "$input"
  done
done < <(find -L "$WORK/inputs" -type f | sort)
# An audit of them all, with each pack: its five documents, its output and exit code.
for pack in "$ROOT/Rules/us-federal" "$ROOT/Rules/uk-ppera"; do
  rm -rf "$WORK/audit-old" "$WORK/audit-new"
  "$OLD" audit --rules "$pack" --out "$WORK/audit-old" "$WORK/inputs" >"$WORK/old.out" 2>"$WORK/old.err"; old_rc=$?
  "$NEW" audit --rules "$pack" --out "$WORK/audit-new" "$WORK/inputs" >"$WORK/new.out" 2>"$WORK/new.err"; new_rc=$?
  sed -i "s#$WORK/audit-old#AUDIT#g" "$WORK/old.out"; sed -i "s#$WORK/audit-new#AUDIT#g" "$WORK/new.out"
  if [ $old_rc != $new_rc ] || ! cmp -s "$WORK/old.out" "$WORK/new.out" || ! cmp -s "$WORK/old.err" "$WORK/new.err" \
    || ! diff -r "$WORK/audit-old" "$WORK/audit-new" >/dev/null; then
    echo "DIFFERENT: audit $(basename "$pack") (exit $old_rc vs $new_rc)"
    diff -r "$WORK/audit-old" "$WORK/audit-new" | head -10
    status=1
  fi
  compared=$((compared + 1))
done
echo "$compared runs compared"
exit $status
