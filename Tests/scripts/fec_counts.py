#!/usr/bin/env python3
"""Counts the records of .fec filings by type, without Probity's reader.

Usage: fec_counts.py EXTRACT_DIR FILE...

Each FILE is a .fec filing or a zip of them (extracted into EXTRACT_DIR). Prints one
JSON object: for every .fec file, its path and a count of its records by type. The
type of a record is its first field, upper-cased and stripped: the text before the first
ASCII 28 (FS) of the line, or the first field of the line read by Python's csv module.
Blank lines and the '/* Header' ... '/* End Header' block of versions 1 and 2 are not
records; an F99 text block ([BEGINTEXT] ... [ENDTEXT]) counts once, as '[BEGINTEXT]'.
Probity's FEC reader must find the same counts (Tests/ProbityFilingsTests/FECReaderTests.swift).
"""
import csv
import json
import os
import sys
import zipfile


def lines_of(data):
    return data.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")


def is_marker(line, word):
    text = line.strip().upper()
    return text in (b"[" + word + b"TEXT]", b"[" + word + b" TEXT]")


def count(path):
    with open(path, "rb") as handle:
        lines = lines_of(handle.read())
    counts = {}
    in_header = False
    in_text = False
    first = True
    for line in lines:
        if not line.strip(b" \t"):
            continue
        if first:
            first = False
            if line.startswith(b"/*"):
                in_header = True
                continue
        if in_header:
            if line.startswith(b"/*"):
                in_header = False
            continue
        if in_text:
            if is_marker(line, b"END"):
                in_text = False
            continue
        if is_marker(line, b"BEGIN"):
            in_text = True
            kind = "[BEGINTEXT]"
        elif b"\x1c" in line:
            kind = line.split(b"\x1c")[0].decode("latin-1").strip().upper()
        else:
            row = next(csv.reader([line.decode("latin-1")]))
            kind = row[0].strip().upper() if row else ""
        counts[kind] = counts.get(kind, 0) + 1
    return counts


def main():
    extract_dir = sys.argv[1]
    result = {}
    for path in sys.argv[2:]:
        if path.endswith(".zip"):
            with zipfile.ZipFile(path) as archive:
                for name in sorted(archive.namelist()):
                    if name.endswith(".fec"):
                        target = archive.extract(name, extract_dir)
                        result[target] = count(target)
        else:
            result[path] = count(path)
    json.dump(result, sys.stdout, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
