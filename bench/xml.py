#!/usr/bin/env python3
"""XML filings: what a check of a Probity XML filing (docs/probity-filing.xsd) costs.

Makes three filings of --receipts receipts each (about 540 bytes a receipt; one distinct
donor per five receipts, a planted excessive donor every 997th donor, 4 amounts in 10 to
the cent, receipts in date order):
  - "few trails": each receipt's aggregate is its donor's running total, so only the
    planted donors' findings (US-EXCESS-001, US-REMEDY-001) carry a trail and the second
    pass wants few records;
  - "trails everywhere": each aggregate is the receipt's own amount, so US-AGG-001 fires
    on most donors and the second pass wants most records;
  - the same "few trails" receipts checked with a pack of one rule that never fires and
    reads one field: the reader alone, with every field it need not read passed over;
  - the same "few trails" receipts in windows-1252 (the filer's name with an accent): a
    document libxml2 converts as it reads (asking libxml2 where it is in the file cost
    time growing with what it held unread, at every element, before the twenty-ninth
    round's end).
Then runs each binary on each (the full US pack, --format json, --as-of fixed) --runs
times, in rounds (each round runs every binary in turn, so the machine's drift falls on
all alike), and prints the best wall time, its user time, MB/s, records/s and the
highest peak RSS; the binaries' reports must be the same bytes.

    bench/xml.py [--receipts 200000] [--runs 3] [--keep DIR] BINARY [BINARY ...]

Needs GNU time (/usr/bin/time).
"""
import argparse
import os
import random
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<filing xmlns="urn:probity:filing:1" version="1">
  <filer id="C00999001" committee-type="H">
    <name>Rivera for Ohio</name>
  </filer>
  <report form="F3" type="Q2" amendment="false" period-start="2024-04-01" period-end="2024-06-30"/>
"""

RECEIPT = """  <receipt id="SA11AI.{id:06d}" form-type="SA11AI">
    <date>2024-{month:02d}-{day:02d}</date>
    <amount>{amount}</amount>
    <aggregate>{aggregate}</aggregate>
    <party entity-type="IND">
      <first-name>Ana{donor}</first-name>
      <last-name>Rivera{donor}</last-name>
      <address><street1>12 Oak St</street1><city>Dayton</city><state>OH</state><zip>45402</zip></address>
      <employer>Dayton Public Schools</employer>
      <occupation>Teacher</occupation>
    </party>
    <election code="P2024"/>
    <payment-method>check</payment-method>
  </receipt>
"""

NEVER = """rule BENCH-NEVER-001 {
  title "Never fires"
  severity info
  category data-quality
  citation "none"
  applies receipt, disbursement
  when amount < $0.00 and amount > $0.00
  message "never"
}
"""


def generate(path, receipts, running_aggregates):
    rng = random.Random(7)
    donors = max(1, receipts // 5)
    totals = {}
    with open(path, "w") as out:
        out.write(HEAD)
        for index in range(receipts):
            donor = rng.randrange(donors)
            if donor % 997 == 0:
                cents = 150000
            elif rng.random() < 0.4:
                cents = rng.randint(1, 499) * 100 + rng.randint(0, 99)
            else:
                cents = rng.choice([25, 50, 100, 250, 500]) * 100
            totals[donor] = totals.get(donor, 0) + cents
            day = index * 90 // receipts
            aggregate = totals[donor] if running_aggregates else cents
            out.write(
                RECEIPT.format(
                    id=index, month=4 + day // 30, day=1 + day % 30, donor=donor,
                    amount="%d.%02d" % divmod(cents, 100),
                    aggregate="%d.%02d" % divmod(aggregate, 100)))
        out.write("</filing>\n")


def run_once(binary, pack, filing, output):
    timing = output + ".time"
    with open(output, "wb") as out:
        subprocess.run(
            ["/usr/bin/time", "-o", timing, "-f", "%e %U %M", binary, "check", "--rules", pack,
             "--format", "json", "--as-of", "2026-12-31", filing],
            stdout=out, stderr=subprocess.DEVNULL)
    wall, user, peak = open(timing).read().split()[-3:]
    return float(wall), float(user), int(peak) // 1024


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--receipts", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", help="keep the filings (and reuse them) in this folder")
    parser.add_argument(
        "--allow-different", action="store_true",
        help="say that the binaries' reports differ, and go on (binaries from before the"
        " SAX reader give some records past line 65,535 a wrong line)")
    parser.add_argument("binaries", nargs="+")
    args = parser.parse_args()
    work = args.keep or tempfile.mkdtemp()
    os.makedirs(work, exist_ok=True)
    few = os.path.join(work, f"few-trails-{args.receipts}.xml")
    everywhere = os.path.join(work, f"trails-everywhere-{args.receipts}.xml")
    if not os.path.exists(few):
        generate(few, args.receipts, True)
    if not os.path.exists(everywhere):
        generate(everywhere, args.receipts, False)
    windows = os.path.join(work, f"few-trails-windows-1252-{args.receipts}.xml")
    if not os.path.exists(windows):
        text = open(few, encoding="utf-8").read()
        text = text.replace('encoding="UTF-8"', 'encoding="windows-1252"', 1)
        text = text.replace("Rivera for Ohio", "Rivéra for Ohio", 1)
        with open(windows, "wb") as out:
            out.write(text.encode("cp1252"))
    never = os.path.join(work, "never.probity")
    with open(never, "w") as out:
        out.write(NEVER)
    us = os.path.join(ROOT, "Rules", "us-federal")
    cases = [("few trails", us, few), ("trails everywhere", us, everywhere),
             ("reader alone", never, few), ("windows-1252", us, windows)]
    best = {}
    for _ in range(args.runs):
        for name, pack, filing in cases:
            for number, binary in enumerate(args.binaries):
                output = os.path.join(work, f"out-{number}.json")
                wall, user, peak = run_once(binary, pack, filing, output)
                key = (name, number)
                previous = best.get(key)
                if previous is None or wall < previous[0]:
                    best[key] = (wall, user, max(peak, previous[2] if previous else 0))
                else:
                    best[key] = (previous[0], previous[1], max(peak, previous[2]))
            outputs = [open(os.path.join(work, f"out-{n}.json"), "rb").read()
                       for n in range(len(args.binaries))]
            if any(output != outputs[0] for output in outputs):
                print(f"{name}: the binaries' reports differ", file=sys.stderr)
                if not args.allow_different:
                    sys.exit(1)
    print(f"{args.receipts} receipts; best of {args.runs}")
    print(f"{'filing':<18} {'binary':<40} {'wall s':>7} {'user s':>7} {'MB/s':>6} "
          f"{'records/s':>10} {'peak MB':>8}")
    for name, pack, filing in cases:
        size = os.path.getsize(filing) / 1e6
        for number, binary in enumerate(args.binaries):
            wall, user, peak = best[(name, number)]
            print(f"{name:<18} {binary[-40:]:<40} {wall:7.2f} {user:7.2f} {size / wall:6.1f} "
                  f"{args.receipts / wall:10.0f} {peak:8d}")
    if not args.keep:
        for entry in os.listdir(work):
            os.remove(os.path.join(work, entry))
        os.rmdir(work)


if __name__ == "__main__":
    main()
