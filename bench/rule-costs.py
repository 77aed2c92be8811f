#!/usr/bin/env python3
"""What each rule of a pack costs: instructions (callgrind) of a check with the whole
pack, then with the pack less one rule, for each rule. The difference is what that rule
alone costs: its evaluation, and the fields only it reads (a field no other rule reads
is then not decoded). Rules are run two at a time (two cores).

    bench/rule-costs.py [--binary B] [--rules DIR] FILING

Needs valgrind and a release build (swift build -c release --static-swift-stdlib --experimental-lto-mode=full). Records are not prepared
ahead (PROBITY_PREPARE=never), so the counts do not depend on the threads' timing; they
still vary by a few million from run to run (docs/performance-history.md, ninth and twelfth
rounds). So the whole pack is checked three times: every rule's cost is taken against
the median, and the three's spread, printed, is the uncertainty of each cost.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def instructions(binary, pack, filing, out):
    """The instructions of one check, from callgrind's totals."""
    run = subprocess.run(
        ["valgrind", "-q", "--tool=callgrind", f"--callgrind-out-file={out}", binary, "check",
         "--rules", pack, "--format", "json", filing],
        env=dict(os.environ, PROBITY_PREPARE="never"),
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    # 0 and 1 (findings, rejected records) are checks that ran; 2 is an error (docs/ci.md).
    if run.returncode not in (0, 1):
        sys.exit(f"the check with {pack} failed (exit {run.returncode}):\n{run.stderr[-2000:]}")
    with open(out) as f:
        for line in f:
            if line.startswith(("summary:", "totals:")):
                return int(line.split()[1])
    sys.exit(f"no callgrind totals in {out}: did the check run?")


def without(pack, rule, work):
    """A copy of the pack with one rule taken out (and no tests, which name it)."""
    copy = os.path.join(work, f"pack-{rule}")
    shutil.copytree(pack, copy)
    shutil.rmtree(os.path.join(copy, "tests"), ignore_errors=True)
    pattern = re.compile(r"^rule " + re.escape(rule) + r" \{.*?^\}\n", re.M | re.S)
    taken = 0
    for name in os.listdir(copy):
        if name.endswith(".probity"):
            path = os.path.join(copy, name)
            with open(path) as f:
                text = f.read()
            cut, count = pattern.subn("", text)
            if count:
                taken += count
                with open(path, "w") as f:
                    f.write(cut)
    # A rule whose closing brace is not alone at the start of a line is not found: its
    # cost would read as nothing.
    if taken != 1:
        sys.exit(f"{rule}: found {taken} times in {pack} (each rule must end with a line '}}')")
    return copy


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("filing")
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build/release/probity"))
    parser.add_argument("--rules", default=os.path.join(ROOT, "Rules/us-federal"))
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        sys.exit("install valgrind: apt-get install -y valgrind")
    rules = []
    for name in sorted(os.listdir(args.rules)):
        if name.endswith(".probity"):
            with open(os.path.join(args.rules, name)) as f:
                rules += re.findall(r"^rule (\S+) \{", f.read(), re.M)
    with tempfile.TemporaryDirectory() as work:
        with ThreadPoolExecutor(2) as pool:
            wholes = sorted(pool.map(
                lambda n: instructions(
                    args.binary, args.rules, args.filing, os.path.join(work, f"cg.full{n}")),
                range(3)))
        full = wholes[1]
        print(f"whole pack: {full / 1e6:,.1f} M instructions (three checks: "
              + ", ".join(f"{w / 1e6:,.1f}" for w in wholes) + " M)", flush=True)

        def cost(rule):
            pack = without(args.rules, rule, work)
            return rule, full - instructions(
                args.binary, pack, args.filing, os.path.join(work, f"cg.{rule}"))

        with ThreadPoolExecutor(2) as pool:
            costs = list(pool.map(cost, rules))
    print(f"{'rule':<22} {'M instructions':>15} {'share':>7}")
    for rule, c in sorted(costs, key=lambda rc: -rc[1]):
        print(f"{rule:<22} {c / 1e6:>15,.1f} {100 * c / full:>6.1f}%")


if __name__ == "__main__":
    main()
