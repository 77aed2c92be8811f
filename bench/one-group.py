#!/usr/bin/env python3
"""One donor's many gifts: the full US pack on synthetic canonical CSV filings in which
every receipt is one donor's gift to one committee, in date order, so that every rule
across records has one group, whose findings carry a trail of every record. A group's
cost must grow with its records, not with their square (until the twenty-sixth round,
building a trail copied it whole at every record: 20,000 gifts took 40 s). Prints, for
each size, wall time, records/s and peak RSS, and the time per record against the
smallest size's (about 1 when the cost is linear).

With --rolling DAYS, the pack is instead one rule with a rolling window of DAYS days
(a sum, a count, a minimum and a maximum), none of the bundled packs having one: the
gifts of a year are all inside a 365-day window, whose aggregates were folded again at
each record until the twenty-seventh round (20,000 gifts took 11 s).

    bench/one-group.py [--records 5000,20000,80000] [--binary PATH] [--keep DIR] [--rolling DAYS]

Needs a release build (swift build -c release --static-swift-stdlib --experimental-lto-mode=full) and GNU time."""
import argparse, os, shutil, sys, tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run import PROBITY, ROOT, timed  # noqa: E402

HEADER = ("kind,filer_id,committee_type,form_type,transaction_id,entity_type,name,street1,"
          "city,state,zip,employer,occupation,date,amount,aggregate,election_code,memo,"
          "payment_method\n")


def generate(path, records):
    """`records` gifts of $100.00 from one donor, dated through 2024 in order."""
    with open(path, "w") as out:
        out.write(HEADER)
        for k in range(records):
            day = 1 + (k * 336 // records) % 28
            month = 1 + (k * 12 // records)
            out.write(f"receipt,C00999001,H,SA11AI,T{k},IND,\"DONOR, PAT Q\",1 Main St,Dayton,"
                      f"OH,45852,Acme Corp,Clerk,2024-{month:02d}-{day:02d},100.00,,G2024,,check\n")


ROLLING_PACK = """rule ROLLING-001 {{
  title "Gifts inside a rolling window of {days} days over $3,300"
  severity error
  category excessive-contribution
  citation "benchmark only"
  applies receipt
  group by person_key(name)
  window rolling {days} days
  let total = sum(amount)
  let gifts = count()
  let least = min(amount)
  let most = max(amount)
  when total > $3,300.00 and gifts > 1 and least <= most
  message "{{gifts}} gifts totalling {{total}}"
}}
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", default="5000,20000,80000")
    ap.add_argument("--binary", default=PROBITY)
    ap.add_argument("--keep")
    ap.add_argument("--rolling", type=int, help="a pack of one rule with a rolling window of this many days")
    args = ap.parse_args()
    sizes = [int(x) for x in args.records.split(",")]
    work = args.keep or tempfile.mkdtemp(prefix="probity-one-group-")
    os.makedirs(work, exist_ok=True)
    rules = os.path.join(ROOT, "Rules/us-federal")
    if args.rolling is not None:
        rules = os.path.join(work, f"rolling-{args.rolling}.probity")
        with open(rules, "w") as out:
            out.write(ROLLING_PACK.format(days=args.rolling))
    print(f"{'records':>9} {'wall s':>8} {'records/s':>10} {'peak MB':>8} {'per record x':>13}")
    first = None
    for records in sizes:
        path = os.path.join(work, f"one-group-{records}.csv")
        if not os.path.exists(path):
            generate(path, records)
        wall, rss, _ = timed([args.binary, "check", "--rules", rules, "--format", "json", path])
        per = wall / records
        first = first or per
        print(f"{records:>9} {wall:>8.2f} {records / wall:>10,.0f} {rss:>8.0f} {per / first:>13.2f}")
    if not args.keep:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
