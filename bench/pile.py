#!/usr/bin/env python3
"""A regulator's pile of small filings: the cost of a file, not of a byte. The FEC's
electronic filings of one day (../shared/data/fec/20180616.zip: 52 filings, 629 KB,
most of a few kilobytes) copied --copies times (at most 100), each copy of a filing
with its filer's id changed (its letter, the copy's number in two digits, the rest of
the id), so that the copies are the filings of other committees and candidates, not
amendments of one another. Runs, for each
binary side by side, `probity audit` on the folder and `probity check` on the files
given one by one (as a shell's `*.fec` gives them), with the full US pack, and prints
wall time, files/s, MB/s and peak RSS.

Until the twenty-seventh round, a filing's reader compiled FastFEC's 60 form patterns
(Swift's `Regex`) anew (5,200 filings: audit 20 s, check 46 s), the argument parser took
time in the square of the number of files given (8,000: 4 s), and readers of small
files read ahead of the evaluator without bound (all the pile's records in memory).

    bench/pile.py [--copies 100] [--binary PATH] [--other PATH]... [--keep DIR]

Needs a release build (swift build -c release --static-swift-stdlib --experimental-lto-mode=full) and GNU time."""
import argparse, os, shutil, sys, tempfile, zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run import PROBITY, ROOT, timed  # noqa: E402

DAY = os.path.join(os.path.dirname(ROOT), "shared", "data", "fec", "20180616.zip")
FS = b"\x1c"


def committee(data):
    """The filer's committee id: the second field of the first record after the header."""
    lines = data.splitlines()
    for line in lines[1:]:
        fields = line.split(FS) if FS in line else line.split(b",")
        if len(fields) > 1:
            return fields[1].strip(b'"')
    return None


def make(folder, copies):
    os.makedirs(folder, exist_ok=True)
    with zipfile.ZipFile(DAY) as day:
        filings = [(name, day.read(name)) for name in sorted(day.namelist()) if name.endswith(".fec")]
    for copy in range(copies):
        for name, data in filings:
            filer = committee(data)
            # A committee's id (C...) or a candidate's (H..., S..., P...: form 2).
            if filer and len(filer) == 9 and filer[:1] in (b"C", b"H", b"S", b"P"):
                other = filer[:1] + b"%02d" % copy + filer[3:]
                data = data.replace(filer, other)
            stem = os.path.splitext(os.path.basename(name))[0]
            with open(os.path.join(folder, f"{stem}-{copy:04d}.fec"), "wb") as out:
                out.write(data)
    return len(filings) * copies


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--copies", type=int, default=100)
    ap.add_argument("--binary", default=PROBITY)
    ap.add_argument("--other", action="append", default=[])
    ap.add_argument("--keep")
    args = ap.parse_args()
    if not 1 <= args.copies <= 100:
        ap.error("--copies must be 1 to 100 (a copy's number is two digits of the filer's id)")
    work = args.keep or tempfile.mkdtemp(prefix="probity-pile-")
    folder = os.path.join(work, f"pile-{args.copies}")
    if not os.path.isdir(folder):
        make(folder, args.copies)
    files = sorted(os.path.join(folder, name) for name in os.listdir(folder))
    size = sum(os.path.getsize(path) for path in files) / 1e6
    rules = os.path.join(ROOT, "Rules/us-federal")
    print(f"pile: {len(files)} filings, {size:.1f} MB")
    print(f"{'binary':<28} {'command':<7} {'wall s':>7} {'files/s':>8} {'MB/s':>6} {'peak MB':>8}")
    for binary in [args.binary] + args.other:
        out = os.path.join(work, "audit")
        shutil.rmtree(out, ignore_errors=True)
        runs = [
            ("audit", [binary, "audit", "--rules", rules, "--out", out, folder]),
            ("check", [binary, "check", "--rules", rules, "--format", "json"] + files),
        ]
        for command, argv in runs:
            wall, rss, _ = timed(argv)
            print(f"{os.path.basename(binary):<28} {command:<7} {wall:>7.2f} {len(files) / wall:>8,.0f} "
                  f"{size / wall:>6.1f} {rss:>8.0f}")
    if not args.keep:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
