"""What the benchmark scripts share: `/usr/bin/time -v` output read into wall time, peak RSS
and CPU time, and those figures printed."""

import os
import re


def time_file(path):
    """Wall seconds, peak RSS in KiB and user+system seconds from `/usr/bin/time -v` output."""
    wall = rss = cpu = None
    try:
        text = open(path).read()
    except OSError:
        return wall, rss, cpu
    m = re.search(r"Elapsed \(wall clock\) time .*?: (?:(\d+):)?(\d+):([\d.]+)", text)
    if m:
        wall = int(m.group(1) or 0) * 3600 + int(m.group(2)) * 60 + float(m.group(3))
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
    if m:
        rss = int(m.group(1))
    u = re.search(r"User time \(seconds\): ([\d.]+)", text)
    s = re.search(r"System time \(seconds\): ([\d.]+)", text)
    if u and s:
        cpu = float(u.group(1)) + float(s.group(1))
    return wall, rss, cpu


def mib(kib):
    return "-" if kib is None else (f"{kib / 2**20:.2f} GiB" if kib >= 2**20 else f"{kib / 1024:.0f} MiB")


def secs(s):
    return "-" if s is None else f"{s:.2f}s"


def report_runs(tool, runs, results, err_of, width):
    """Print each run of `tool` (rows of the script's run log, their `/usr/bin/time -v` files
    under `results`) and return the measured (wall, peak RSS, CPU) of each."""
    measured = [time_file(os.path.join(results, r["timefile"])) for r in runs]
    for r, (w, k, c) in zip(runs, measured):
        err = "" if r["status"] == 0 else f"   EXIT STATUS {r['status']} (see {err_of(r)})"
        print(f"  {tool:<{width}} run {r['run']}: wall {secs(w):>8}  cpu {secs(c):>8}  peak RSS {mib(k):>9}{err}")
    return measured
