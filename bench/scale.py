"""Many servers on one PostgreSQL store behind nginx, and the static mirror, against one
``tallyroom serve`` on SQLite, all measured in the same run on this machine.

* Requests per second and p99 latency (``wrk``, keep-alive connections) for the official
  summary JSON and the overview page: through nginx in front of two app servers on
  PostgreSQL (``deploy/nginx/tallyroom.conf``), from the static mirror (nginx's mirror
  server over ``export-site``'s files), and straight from one ``tallyroom serve`` on
  SQLite: **the baseline**, to which the ratios refer.
* Visibility across servers: election-night returns posted one at a time to app server A;
  the time from A's 201 until server B serves the new generation's summary, until B's
  event stream pushes it, and until nginx serves it (bounded by its 1 s micro-cache).
  Target: p99 at most 200 ms across servers.
* Static regeneration: the 2023 election-night count (half of the voting places stored),
  the other half's returns stored one at a time, each followed by a mirror pass, against
  the first pass, which makes every file (the baseline). Target: at most 1 s per return
  (the median: the machine is shared).

Each throughput figure is the median of ``--runs`` runs. Needs Debian's ``wrk``, ``nginx``
and ``postgresql`` (``apt-get install wrk nginx-light postgresql``). Usage::

    python -m bench.scale [--runs 3] [--seconds 5] [--connections 32] [--returns 40]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path

import httpx
from tests.support.data import shared_data_dir
from tests.support.scale import Cluster, render_nginx, start_nginx
from tests.support.servers import free_port, nz2020_returns, nz2023_night, start_server

from tallyroom.model import Stage
from tallyroom.publish.export import export_site
from tallyroom.publish.mirror import Mirror
from tallyroom.publish.site import Site
from tallyroom.replay import in_count_order, return_body
from tallyroom.store.database import open_store
from tallyroom.store.imports import SourceFile, import_datasets
from tallyroom.store.users import Role, add_user

ELECTION = "nz-2020"
TARGETS = {
    "summary JSON": f"/api/v1/elections/{ELECTION}/official/summary.json",
    "overview page": f"/elections/{ELECTION}/official/",
}
MIRROR_PATHS = {
    "summary JSON": TARGETS["summary JSON"],
    "overview page": f"/elections/{ELECTION}/official/index.html",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs of each throughput figure")
    parser.add_argument("--seconds", type=int, default=5, help="length of one wrk run")
    parser.add_argument("--connections", type=int, default=32, help="wrk's open connections")
    parser.add_argument("--returns", type=int, default=40, help="returns for visibility")
    parser.add_argument("--regenerations", type=int, default=10, help="2023 mirror passes")
    args = parser.parse_args()
    for tool in ("wrk", "nginx"):
        if not (shutil.which(tool) or Path(f"/usr/sbin/{tool}").exists()):
            sys.exit(f"{tool} is not installed: apt-get install {tool}")
    with tempfile.TemporaryDirectory() as folder, contextlib.ExitStack() as running:
        work = Path(folder)
        cluster = Cluster()
        running.callback(cluster.remove)
        official = nz2020_returns(lambda r: r.stage is Stage.OFFICIAL)
        night = in_count_order(nz2020_returns(lambda r: r.stage is Stage.PRELIMINARY))
        sqlite = f"sqlite:///{work / 'store.db'}"
        for url in (cluster.url, sqlite):
            import_datasets(open_store(url), official, SourceFile("tidy", "official", "official"))
        token = add_user(open_store(cluster.url), "bench", Role.ADMIN)
        export_site(Site(open_store(sqlite)), ELECTION, work / "mirror")
        servers = [_start(running, "serve", "--db", cluster.url) for _ in range(2)]
        baseline = _start(running, "serve", "--db", sqlite)
        listen, mirror_listen = free_port(), free_port()
        ports = [int(base.rsplit(":", 1)[1]) for base in servers]
        config = render_nginx(ports, listen, mirror_listen, work / "mirror", work / "nginx")
        nginx = f"http://127.0.0.1:{listen}"
        process = start_nginx(config, nginx)
        running.callback(process.terminate)
        mirror = f"http://127.0.0.1:{mirror_listen}"

        print(f"nz-2020 official count; wrk, {args.connections} connections, "
              f"{args.seconds} s a run, median of {args.runs} runs")  # fmt: skip
        print(f"{'document':<15}{'served by':<38}{'req/s':>9}{'p99 ms':>9}{'× baseline':>12}")
        for name, path in TARGETS.items():
            rows = [
                ("one tallyroom serve, SQLite (baseline)", f"{baseline}{path}"),
                ("nginx + 2 app servers, PostgreSQL", f"{nginx}{path}"),
                ("static mirror (nginx)", f"{mirror}{MIRROR_PATHS[name]}"),
            ]
            base_rate = None
            for label, url in rows:
                rate, p99 = _throughput(url, args)
                base_rate = base_rate or rate
                print(f"{name:<15}{label:<38}{rate:>9,.0f}{p99:>9.1f}{rate / base_rate:>12.2f}")

        headers = {"Authorization": f"Bearer {token}"}
        seen = _visibility(servers, nginx, night[: args.returns], headers)
        print(f"\nvisibility of {args.returns} election-night returns posted to server A, "
              "ms from A's 201")  # fmt: skip
        print(f"{'seen at':<44}{'median':>9}{'p99':>9}{'max':>9}")
        for label, values in seen.items():
            print(f"{label:<44}{statistics.median(values):>9.1f}{_p99(values):>9.1f}"
                  f"{max(values):>9.1f}")  # fmt: skip
        across = max(_p99(seen["server B's summary JSON"]), _p99(seen["server B's event stream"]))
        print(f"target (p99 <= 200 ms across servers): {'met' if across <= 200 else 'NOT met'}")

    passes = _regeneration(args.regenerations)
    whole, each = passes[0], passes[1:]
    median = statistics.median(each)
    print(f"\nstatic mirror of the 2023 election-night count: the whole site (every file "
          f"made, the baseline) {whole:.2f} s; after each of {len(each)} returns: median "
          f"{median:.2f} s ({whole / median:.1f}x faster), max {max(each):.2f} s")  # fmt: skip
    print(f"target (<= 1 s per return, median): {'met' if median <= 1 else 'NOT met'}")


def _start(running: contextlib.ExitStack, *args: str) -> str:
    process, base = start_server(*args)
    running.callback(process.terminate)
    return base


def _throughput(url: str, args: argparse.Namespace) -> tuple[float, float]:
    """Median requests per second and p99 latency (ms) of ``--runs`` wrk runs."""
    # computed (and cached by nginx) once before it is timed, in the variant wrk asks for:
    # a request that finds no cached copy waits on nginx's cache lock, which is looked at
    # every 500 ms, and the first run's p99 was that wait
    httpx.get(url, headers={"Accept-Encoding": "gzip"}, timeout=30).raise_for_status()
    rates, p99s = [], []
    for _ in range(args.runs):
        out = subprocess.run(
            ["wrk", "-t2", f"-c{args.connections}", f"-d{args.seconds}s", "--latency",
             "-H", "Accept-Encoding: gzip", url],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        rates.append(float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)))
        value, unit = re.search(r"\s99%\s+([\d.]+)(us|ms|s)", out).groups()
        p99s.append(float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit])
    return statistics.median(rates), statistics.median(p99s)


def _visibility(servers: list[str], nginx: str, returns, headers) -> dict[str, list[float]]:
    """Post ``returns`` to server A one at a time; how soon B and nginx serve each."""
    one, other = servers
    summary = f"/api/v1/elections/{ELECTION}/preliminary/summary.json"
    events: dict[int, float] = {}
    threading.Thread(target=_listen, args=(other, events), daemon=True).start()
    time.sleep(0.5)
    seen: dict[str, list[float]] = {
        "server B's summary JSON": [],
        "server B's event stream": [],
        "nginx (1 s micro-cache, whole seconds)": [],
    }
    with httpx.Client(timeout=10) as http:
        for r in returns:
            response = http.post(f"{one}/api/v1/elections/{ELECTION}/returns",
                                 json=return_body(r), headers=headers)  # fmt: skip
            acknowledged = time.perf_counter()
            if response.status_code != 201:
                sys.exit(f"refused: {response.status_code} {response.text}")
            etag = f'W/"{response.json()["return_id"]}"'
            for label, base in (("server B's summary JSON", other),
                                ("nginx (1 s micro-cache, whole seconds)", nginx)):  # fmt: skip
                while http.get(base + summary).headers.get("etag") != etag:
                    time.sleep(0.001)
                seen[label].append(1000 * (time.perf_counter() - acknowledged))
            generation = response.json()["return_id"]
            while generation not in events:
                time.sleep(0.001)
            seen["server B's event stream"].append(1000 * (events[generation] - acknowledged))
    return seen


def _listen(base: str, events: dict[int, float]) -> None:
    """Record when each generation's count event arrives."""
    url = f"{base}/api/v1/elections/{ELECTION}/events"
    with contextlib.suppress(httpx.HTTPError), httpx.stream("GET", url, timeout=None) as s:
        for line in s.iter_lines():
            if line.startswith("data: "):
                events[json.loads(line[6:])["generation"]] = time.perf_counter()


def _regeneration(count: int) -> list[float]:
    """Seconds of the first (whole) mirror pass and of the pass after each new return."""
    data = shared_data_dir()
    with tempfile.TemporaryDirectory() as folder:
        engine = open_store(f"sqlite:///{Path(folder) / 'nz2023.db'}")
        import_datasets(engine, nz2023_night(data, 0), SourceFile("tidy", "half", "half"))
        mirror = Mirror(Site(engine), "nz-2023", Path(folder) / "mirror")
        passes = [mirror.update().seconds]
        later = nz2023_night(data, 1)[0]
        for n, r in enumerate(later.returns[:count]):
            import_datasets(
                engine, [replace(later, returns=[r])], SourceFile("tidy", f"r{n}", f"r{n}")
            )
            started = time.perf_counter()
            mirror.site.refresh()
            mirror.update()
            passes.append(time.perf_counter() - started)
    return passes


def _p99(values: list[float]) -> float:
    """The 99th percentile, interpolated between the values measured (never past the max)."""
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[98]


if __name__ == "__main__":
    main()
