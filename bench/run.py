#!/usr/bin/env python3
"""Probity's throughput, side by side with DuckDB, a Python csv baseline and a raw libcsv
parse, on one synthetic filing, in one run; and .fec parse-and-check throughput.

    bench/run.py [--mb 100] [--donors-per-record 0.2] [--keep DIR] [--runs N] [--other BINARY]...

Generates a canonical CSV filing of about --mb megabytes (one distinct donor per five
records by default, a few planted excessive contributions), runs each contender with
GNU time, and prints wall time, MB/s, records/s and peak RSS for each. Checks that
Probity and DuckDB find the same excessive contributions (US-EXCESS-001). Needs a
release build (swift build -c release --static-swift-stdlib --experimental-lto-mode=full), gcc, libcsv-dev, python3 with duckdb (pip)."""
import argparse, csv, datetime, json, os, random, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROBITY = os.path.join(ROOT, ".build", "release", "probity")
HEADER = ["kind", "filer_id", "committee_type", "form_type", "transaction_id", "entity_type", "name", "street1",
          "city", "state", "zip", "employer", "occupation", "date", "amount", "aggregate", "election_code", "memo",
          "payment_method"]

def generate_csv(path, target_bytes, donors_per_record, seed=7):
    """Receipts in date order, as a report lists them, from 1 January to 28 September
    2024: a donor's gifts come in date order, as the rules that judge a group's records
    in their order (a cure window, `fires on each`) need to judge them."""
    rng = random.Random(seed)
    est_records = max(1000, target_bytes // 130)
    first = datetime.date(2024, 1, 1)
    donors = max(10, int(est_records * donors_per_record))
    written = 0
    i = 0
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(HEADER)
        while written < target_bytes:
            d = rng.randrange(donors)
            # Most gifts are small, in round amounts or not (4 in 10 to the cent, as in real
            # filings); every 997th donor gives enough to cross the limit.
            if d % 997 == 0:
                amount = "2000.00"
            elif rng.random() < 0.4:
                amount = f"{rng.randint(1, 499)}.{rng.randint(0, 99):02d}"
            else:
                amount = f"{rng.choice([25, 50, 100, 250, 500])}.00"
            election = "P2024" if rng.random() < 0.6 else "G2024"
            row = ["receipt", "C00999001", "H", "SA11AI", f"T{i}", "IND", f'"DONOR{d}, PAT Q"', f"{d} Main St",
                   "Dayton", "OH", f"{45000 + d % 900:05d}", "Acme Corp", "Clerk",
                   (first + datetime.timedelta(days=min(271, i * 272 // est_records))).isoformat(),
                   amount, "", election, "", "check"]
            line = ",".join(row) + "\r\n"
            f.write(line)
            written += len(line)
            i += 1
    return i, donors

def generate_fec(csv_path, fec_path):
    """The same receipts as a .fec v8.3 filing (ASCII 28 separated)."""
    fs = "\x1c"
    with open(csv_path) as src, open(fec_path, "w") as out:
        out.write(fs.join(["HDR", "FEC", "8.3", "bench", "1", "", ""]) + "\n")
        cover = ["F3N", "C00999001", "Bench for Congress", "1 Main St", "", "Dayton", "OH", "45402", "X", "OH", "10",
                 "Q2", "", "", "", "20240101", "20240930"]
        out.write(fs.join(cover) + "\n")
        r = csv.DictReader(src)
        for row in r:
            last, first = row["name"].split(", ")
            date = row["date"].replace("-", "")
            sa = ["SA11AI", "C00999001", row["transaction_id"], "", "", "IND", "", last, first, "", "", "",
                  row["street1"], "", row["city"], row["state"], row["zip"], row["election_code"], "", date,
                  row["amount"], "", "", row["employer"], row["occupation"]]
            out.write(fs.join(sa) + "\n")

def timed(cmd, stdout_path=None):
    """Runs a command under GNU time: (wall seconds, peak RSS in MB, stdout text)."""
    with tempfile.NamedTemporaryFile("w+", suffix=".time") as tf:
        full = ["/usr/bin/time", "-v", "-o", tf.name] + cmd
        start = time.perf_counter()
        out = subprocess.run(full, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        wall = time.perf_counter() - start
        # Probity exits 1 for findings; anything else is a failed run, whose time means
        # nothing (a pack that does not compile, a broken binary).
        if out.returncode not in (0, 1):
            print(f"warning: {' '.join(cmd[:3])} ... exited {out.returncode}", file=sys.stderr)
        rss = 0
        for line in open(tf.name):
            if "Maximum resident set size" in line:
                rss = int(line.split(":")[1]) / 1024
    return wall, rss, out.stdout

PYTHON_BASELINE = r'''
import csv, sys
totals = {}
with open(sys.argv[1], newline="") as f:
    for row in csv.DictReader(f):
        key = (row["name"].upper(), row["zip"][:5], row["election_code"])
        cents = int(round(float(row["amount"]) * 100))
        totals[key] = totals.get(key, 0) + cents
print(sum(1 for v in totals.values() if v > 330000))
'''

DUCKDB_SQL = r'''
import duckdb, sys, json
# The pack's rules across records that apply to the synthetic filing (individuals giving
# to a House candidate), in SQL: US-EXCESS-001 (per-election limit; gifts made before the
# election's cycle also held to the limit then in force, $2,900), US-REMEDY-001 (the
# same excess not cured 60 days on, at the as-of date: the latest record date),
# US-AGG-001 (filed aggregate below the computed one) and US-BESTEFF-003 (itemized by
# computed aggregate without employer or occupation), each with its running totals, per
# recipient committee (filer_id) as the pack groups them.
con = duckdb.connect()
con.execute("""
  CREATE TEMP TABLE r AS
  SELECT filer_id, regexp_replace(upper(split_part(name, ',', 1)), '[^A-Z0-9]', '', 'g') || ' ' ||
         split_part(trim(regexp_replace(upper(split_part(name, ',', 2)), '[^A-Z0-9 ]', '', 'g')), ' ', 1) AS donor,
         substr(regexp_replace(zip, '[^0-9]', '', 'g'), 1, 5) AS zip5, election_code,
         CAST(date AS DATE) AS date, CAST(amount AS DECIMAL(18,2)) AS amount,
         CAST(nullif(aggregate, '') AS DECIMAL(18,2)) AS aggregate, employer, occupation,
         transaction_id, row_number() OVER () AS n
  FROM read_csv(?, header = true, delim = ',', quote = '"', all_varchar = true, auto_detect = true, sample_size = -1)
  WHERE kind = 'receipt' AND committee_type IN ('H','S','P') AND entity_type = 'IND'
    AND coalesce(memo, '') = '' AND form_type LIKE 'SA11%'
""", [sys.argv[1]])
as_of = con.execute("SELECT max(date) FROM r").fetchone()[0]
crossings = con.execute("""
  WITH running AS (
    SELECT *, sum(amount) OVER w AS total, sum(amount) OVER all_of AS final,
           sum(early) OVER w AS early_total, sum(early) OVER all_of AS early_final
    FROM (SELECT *, CASE WHEN year(date) + year(date) % 2 < try_cast(substr(election_code, 2) AS INTEGER)
                         THEN amount ELSE 0 END AS early FROM r WHERE election_code IS NOT NULL)
    WINDOW w AS (PARTITION BY filer_id, donor, zip5, election_code ORDER BY n),
           all_of AS (PARTITION BY filer_id, donor, zip5, election_code)
  ), crossing AS (
    SELECT filer_id, donor, zip5, election_code, min(n) AS n FROM running
    WHERE (total > 3300 OR early_total > 2900) AND (final > 3300 OR early_final > 2900)
    GROUP BY 1, 2, 3, 4
  )
  SELECT running.transaction_id, running.date FROM crossing JOIN running USING (filer_id, donor, zip5, election_code, n)
""").fetchall()
cycle = con.execute("""
  WITH running AS (
    SELECT *, sum(amount) OVER (PARTITION BY filer_id, donor, zip5, (year(date) + year(date) % 2) ORDER BY n) AS total
    FROM r
  ), groups AS (
    -- A missing filed aggregate leaves the group undetermined, as in the rule language.
    SELECT filer_id, donor, zip5, (year(date) + year(date) % 2) AS cycle
    FROM r GROUP BY 1, 2, 3, 4
    HAVING count(aggregate) = count(*) AND max(aggregate) < sum(amount)
  )
  SELECT (SELECT count(*) FROM running
          WHERE total > 200 AND coalesce(aggregate, 0) <= 200 AND amount <= 200
            AND (coalesce(trim(employer), '') = '' OR coalesce(trim(occupation), '') = '')),
         (SELECT count(*) FROM groups)
""").fetchone()
print(json.dumps({
  "US-EXCESS-001": sorted(t for t, _ in crossings),
  "US-REMEDY-001": sorted(t for t, d in crossings if (as_of - d).days > 60),
  "US-BESTEFF-003": cycle[0], "US-AGG-001": cycle[1],
}))
'''

def huge_pages():
    """The kernel's setting for transparent huge pages, which Probity asks for under its
    tables of groups (docs/performance.md, "Memory per donor"): with "never" it cannot
    have them, with "always" every process has them unasked."""
    try:
        with open("/sys/kernel/mm/transparent_hugepage/enabled") as f:
            text = f.read()
        chosen = text[text.index("[") + 1:text.index("]")]
        return f"transparent huge pages: {chosen}"
    except (OSError, ValueError):
        return "transparent huge pages: not known (no /sys/kernel/mm/transparent_hugepage)"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=float, default=100)
    ap.add_argument("--donors-per-record", type=float, default=0.2)
    ap.add_argument("--keep")
    ap.add_argument("--other", action="append", default=[], metavar="BINARY",
                    help="another probity binary (an earlier build) to run on the CSV beside the "
                         "others, in the same rounds: its wall time and peak only")
    ap.add_argument("--runs", type=int, default=1,
                    help="run every contender this many times, in rounds (each round runs them all "
                         "in turn, so the machine's drift falls on all alike), and keep each one's best")
    args = ap.parse_args()
    if not os.path.exists(PROBITY):
        subprocess.run(["swift", "build", "-c", "release", "--static-swift-stdlib",
                        "--experimental-lto-mode=full", "--product", "probity"], cwd=ROOT, check=True)
    work = args.keep or tempfile.mkdtemp(prefix="probity-bench-")
    os.makedirs(work, exist_ok=True)
    data = os.path.join(work, "filing.csv")
    records, donors = generate_csv(data, int(args.mb * 1_000_000), args.donors_per_record)
    size = os.path.getsize(data)
    counter = os.path.join(work, "libcsv_count")
    subprocess.run(["gcc", "-O2", "-o", counter, os.path.join(ROOT, "bench", "libcsv_count.c"), "-lcsv"], check=True)
    py = os.path.join(work, "baseline.py"); open(py, "w").write(PYTHON_BASELINE)
    dq = os.path.join(work, "duckdb_rules.py"); open(dq, "w").write(DUCKDB_SQL)
    fec = os.path.join(work, "filing.fec")
    generate_fec(data, fec)
    fec_size = os.path.getsize(fec)
    rules = os.path.join(ROOT, "Rules/us-federal")
    contenders = [
        ("Probity (full US pack)", [PROBITY, "check", "--rules", rules, "--format", "json", data]),
        ("DuckDB (SQL of 4 rules)", [sys.executable, dq, data]),
        ("Python csv (sum per donor)", [sys.executable, py, data]),
        ("raw libcsv parse", [counter, data]),
        ("Probity .fec v8.3 (full US pack)", [PROBITY, "check", "--rules", rules, "--format", "json", fec]),
    ] + [(f"other: {path}", [path, "check", "--rules", rules, "--format", "json", data]) for path in args.other]
    best = {}
    outputs = {}
    for _ in range(max(1, args.runs)):
        for name, cmd in contenders:
            wall, rss, out = timed(cmd)
            outputs.setdefault(name, out)
            best_wall, peak = best.get(name, (float("inf"), 0))
            best[name] = (min(wall, best_wall), max(rss, peak))
    doc = json.loads(outputs["Probity (full US pack)"])
    probity = {rule: sorted(f["record"] for f in doc["findings"] if f["rule"] == rule)
               for rule in ("US-EXCESS-001", "US-REMEDY-001", "US-BESTEFF-003", "US-AGG-001")}
    duck = json.loads(outputs["DuckDB (SQL of 4 rules)"])
    runs = [(name, best[name][0], best[name][1]) for name, _ in contenders[:4]]
    fec_wall, fec_rss = best["Probity .fec v8.3 (full US pack)"]
    print(f"input: {size / 1e6:.1f} MB CSV, {records} records, {donors} donors; .fec {fec_size / 1e6:.1f} MB"
          + (f"; best of {args.runs} runs each" if args.runs > 1 else ""))
    print(f"machine: {os.cpu_count()} cores; {huge_pages()}")
    print(f"{'contender':34} {'wall s':>8} {'MB/s':>8} {'records/s':>11} {'peak MB':>8}")
    for name, wall, rss in runs:
        print(f"{name:34} {wall:8.2f} {size / 1e6 / wall:8.1f} {records / wall:11.0f} {rss:8.0f}")
    print(f"{'Probity .fec v8.3 (full US pack)':34} {fec_wall:8.2f} {fec_size / 1e6 / fec_wall:8.1f} {records / fec_wall:11.0f} {fec_rss:8.0f}")
    for name, _ in contenders[5:]:
        wall, rss = best[name]
        print(f"{name:34} {wall:8.2f} {size / 1e6 / wall:8.1f} {records / wall:11.0f} {rss:8.0f}")
    probity_wall, duck_wall = runs[0][1], runs[1][1]
    print(f"Probity / DuckDB speed ratio: {duck_wall / probity_wall:.2f}; Probity / raw libcsv: {runs[3][1] / probity_wall:.2f}")
    agree = True
    for rule in ("US-EXCESS-001", "US-REMEDY-001"):
        same = probity[rule] == duck[rule]
        agree = agree and same
        print(f"{rule}: Probity {len(probity[rule])}, DuckDB {len(duck[rule])}: {'agree' if same else 'DISAGREE'}")
        if not same:
            print("  only Probity:", sorted(set(probity[rule]) - set(duck[rule]))[:10])
            print("  only DuckDB:", sorted(set(duck[rule]) - set(probity[rule]))[:10])
    for rule in ("US-BESTEFF-003", "US-AGG-001"):
        same = len(probity[rule]) == duck[rule]
        agree = agree and same
        print(f"{rule}: Probity {len(probity[rule])}, DuckDB {duck[rule]}: {'agree' if same else 'DISAGREE'}")
    return 0 if agree else 1

if __name__ == "__main__":
    sys.exit(main())
