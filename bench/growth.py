#!/usr/bin/env python3
"""How Probity's cost grows with the size of the input and with the number of distinct
donors: the full US pack on synthetic canonical CSV filings (bench/run.py's generator)
of each size at the default repetition (one donor per five records), then of the middle
size at three donor ratios. Prints wall time, MB/s, records/s and peak RSS for each.

    bench/growth.py [--sizes 10,50,250] [--ratios 0.05,0.2,0.8] [--keep DIR]

Needs a release build (swift build -c release --static-swift-stdlib --experimental-lto-mode=full) and GNU time."""
import argparse, os, shutil, sys, tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run import PROBITY, ROOT, generate_csv, timed  # noqa: E402

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="10,50,250")
    ap.add_argument("--ratios", default="0.05,0.2,0.8")
    ap.add_argument("--keep")
    args = ap.parse_args()
    sizes = [float(x) for x in args.sizes.split(",")]
    ratios = [float(x) for x in args.ratios.split(",")]
    work = args.keep or tempfile.mkdtemp(prefix="probity-growth-")
    os.makedirs(work, exist_ok=True)
    rules = os.path.join(ROOT, "Rules/us-federal")
    cases = [(mb, 0.2) for mb in sizes] + [(sizes[len(sizes) // 2], r) for r in ratios if r != 0.2]
    print(f"{'MB':>6} {'records':>10} {'donors':>9} {'wall s':>8} {'MB/s':>7} {'records/s':>10} {'peak MB':>8}")
    for mb, ratio in cases:
        path = os.path.join(work, f"filing-{mb:g}-{ratio:g}.csv")
        records, donors = generate_csv(path, int(mb * 1_000_000), ratio)
        size = os.path.getsize(path)
        wall, rss, _ = timed([PROBITY, "check", "--rules", rules, "--format", "json", path])
        print(f"{size / 1e6:6.0f} {records:10d} {donors:9d} {wall:8.2f} {size / 1e6 / wall:7.1f} {records / wall:10.0f} {rss:8.0f}",
              flush=True)
        if not args.keep:
            os.remove(path)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)

if __name__ == "__main__":
    main()
