"""Requests per second and latency of the results server under concurrent load.

Serves the bundled 2020 election from a fresh SQLite store with ``tallyroom serve`` and
drives it with ``wrk`` (Debian's package: ``apt-get install wrk``) for three routes:

* ``/healthz``: the same server's trivial route, the ceiling (baseline);
* the summary JSON ``/api/v1/elections/nz-2020/official/summary.json`` (target: at least
  3,000 requests/s with p99 under 50 ms on 2 cores);
* the overview HTML ``/elections/nz-2020/official/``.

Each route runs several times; the medians are printed, with each route's throughput as
a ratio of the ceiling measured in the same run. Usage::

    python -m bench.serve [--runs 5] [--seconds 5] [--connections 32] [--workers 2]
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

from tests.support.servers import TALLYROOM, serving

ROUTES = {
    "healthz (ceiling)": "/healthz",
    "summary JSON": "/api/v1/elections/nz-2020/official/summary.json",
    "overview HTML": "/elections/nz-2020/official/",
}
_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per route (median reported)")
    parser.add_argument("--seconds", type=int, default=5, help="length of each run")
    parser.add_argument("--connections", type=int, default=32, help="concurrent connections")
    parser.add_argument("--workers", type=int, default=2, help="server processes")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("bench/serve.py needs wrk: apt-get install wrk")
    with tempfile.TemporaryDirectory() as folder:
        db = f"sqlite:///{Path(folder) / 'bench.db'}"
        subprocess.run([TALLYROOM, "load", "nz-2020", "--db", db], check=True,
                       capture_output=True)  # fmt: skip
        with serving("serve", "--db", db, "--workers", str(args.workers)) as base:
            for path in ROUTES.values():  # compute and cache every document once
                for _ in range(args.workers * 4):
                    urllib.request.urlopen(base + path).read()
            results = {name: [] for name in ROUTES}
            for _ in range(args.runs):
                for name, path in ROUTES.items():  # interleaved, so noise hits every route
                    results[name].append(_wrk(base + path, args.seconds, args.connections))
    _report(results, args)


def _wrk(url: str, seconds: int, connections: int) -> tuple[float, float, float]:
    """requests/s, p50 ms and p99 ms of one wrk run."""
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    if "Non-2xx" in out or "Socket errors" in out:
        sys.exit(f"errors under load:\n{out}")
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

    def percentile(p: str) -> float:
        value, unit = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()
        return float(value) * _UNITS[unit]

    return rate, percentile("50"), percentile("99")


def _report(results: dict[str, list[tuple[float, float, float]]], args) -> None:
    ceiling = statistics.median(r[0] for r in results["healthz (ceiling)"])
    print(f"{args.runs} runs of {args.seconds} s, {args.connections} connections, "
          f"{args.workers} server workers; medians")  # fmt: skip
    print(f"{'route':<20}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'× ceiling':>11}  runs (req/s)")
    for name, runs in results.items():
        rate = statistics.median(r[0] for r in runs)
        p50 = statistics.median(r[1] for r in runs)
        p99 = statistics.median(r[2] for r in runs)
        each = ", ".join(f"{r[0]:,.0f}" for r in runs)
        print(f"{name:<20}{rate:>10,.0f}{p50:>9.2f}{p99:>9.2f}{rate / ceiling:>11.2f}  {each}")
    summary = results["summary JSON"]
    rate = statistics.median(r[0] for r in summary)
    p99 = statistics.median(r[2] for r in summary)
    verdict = "met" if rate >= 3000 and p99 < 50 else "NOT met"
    print(f"target (summary JSON >= 3,000 req/s, p99 < 50 ms): {verdict}")


if __name__ == "__main__":
    main()
