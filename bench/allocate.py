"""Allocations per second: tallyroom's batch against two baselines measured in the same run.

Workload: random 10-party vote vectors (Dirichlet shares × 2.9 M votes), 120 seats,
Sainte-Laguë and D'Hondt. Baselines, each timed on a sample of rows (they are ~1,000×
slower) and reported per second:

* ``heap``: the textbook highest-averages loop in plain Python (heapq);
* ``apportionment``: the ``apportionment`` package from PyPI.

Results are checked identical to both baselines on a sample. Also times one New Zealand
2020 allocation (Sainte-Laguë of the 5 qualifying parties, and the whole MMP step), and
one whole Bundestag allocation from the returning officer's votes (target ≤ 5 ms for
2025): ``de-2023`` on 2025 against interregnum's own 2025 preset, and ``de-2013`` on 2017
against votelib's parts, each checked to give the same seats per Land. Every figure is
the median of ``--repeats`` runs; the machine is shared and noisy, so the load average
is printed too.

    python -m bench.allocate [--rows 1000000] [--repeats 5]
"""

from __future__ import annotations

import argparse
import heapq
import os
import statistics
import sys
import time
import timeit
from collections.abc import Callable

import numpy as np
from apportionment import methods as apportionment
from tests.support.data import shared_data_dir
from tests.support.de_oracles import (
    interregnum_preset_2025,
    interregnum_problem,
    interregnum_runner,
    votelib_2013,
)
from tests.support.tidy2020 import read_stage

from tallyroom.importers import de_bundeswahl
from tallyroom.rules.apportion import Method, allocate, allocate_batch
from tallyroom.rules.mmp import allocate_mmp
from tallyroom.rules.regional import RegionalResult, run_pipeline
from tallyroom.rules.steps import Qualify, pipeline_named

FIRST_DIVISOR_STEP = {Method.SAINTE_LAGUE: (1, 2), Method.DHONDT: (1, 1)}
PACKAGE_NAME = {Method.SAINTE_LAGUE: "saintelague", Method.DHONDT: "dhondt"}


def heap_allocation(votes: list[int], seats: int, method: Method) -> list[int]:
    """The textbook loop: pop the highest quotient, push that party's next one."""
    first, step = FIRST_DIVISOR_STEP[method]
    held = [0] * len(votes)
    queue = [(-v / first, i) for i, v in enumerate(votes)]
    heapq.heapify(queue)
    for _ in range(seats):
        _, i = heapq.heappop(queue)
        held[i] += 1
        heapq.heappush(queue, (-votes[i] / (first + step * held[i]), i))
    return held


def median_seconds(action: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--sample", type=int, default=2_000, help="rows for the baselines")
    args = parser.parse_args()

    rng = np.random.default_rng(2020)
    votes = (rng.dirichlet(np.ones(10), size=args.rows) * 2_900_000).astype(np.int64)
    sample = votes[: args.sample].tolist()
    print(f"{args.rows:,} vote vectors × 10 parties, 120 seats; median of {args.repeats} runs\n")
    print(
        f"{'method':<14}{'tallyroom/s':>14}{'heap/s':>12}{'apportionment/s':>17}"
        f"{'× heap':>10}{'× package':>11}"
    )
    for method in (Method.SAINTE_LAGUE, Method.DHONDT):
        ours = args.rows / median_seconds(
            lambda m=method: allocate_batch(votes, 120, m), args.repeats
        )
        heap = args.sample / median_seconds(
            lambda m=method: [heap_allocation(v, 120, m) for v in sample], args.repeats
        )
        few = sample[: args.sample // 4]
        package = len(few) / median_seconds(
            lambda m=method, rows=few: [
                apportionment.compute(PACKAGE_NAME[m], v, 120) for v in rows
            ],
            args.repeats,
        )
        print(
            f"{method.value:<14}{ours:>14,.0f}{heap:>12,.0f}{package:>17,.0f}"
            f"{ours / heap:>10,.0f}{ours / package:>11,.0f}"
        )

        batch = allocate_batch(votes[: args.sample], 120, method)
        for i, v in enumerate(sample):
            expected = heap_allocation(v, 120, method)
            package_seats = [int(s) for s in apportionment.compute(PACKAGE_NAME[method], v, 120)]
            if list(batch.seats[i]) != expected or expected != package_seats:
                sys.exit(f"MISMATCH in row {i} ({method.value}): {v}")
    print(f"\nresults identical to both baselines on {args.sample:,} rows per method")

    stage = read_stage(shared_data_dir(), "official")
    won = stage.electorate_seats()
    qualifying = [v for p, v in stage.party_votes.items() if p in won]
    one = per_call(lambda: allocate(qualifying, 120), args.repeats)
    heap_one = per_call(lambda: heap_allocation(qualifying, 120, Method.SAINTE_LAGUE), args.repeats)
    mmp = per_call(lambda: allocate_mmp(stage.party_votes, won), args.repeats)
    print(
        f"\nNZ 2020 official, Sainte-Laguë of the {len(qualifying)} qualifying parties: "
        f"{one * 1e6:.1f} µs (heap baseline {heap_one * 1e6:.1f} µs)"
    )
    print(f"NZ 2020 official, whole MMP allocation (17 parties, thresholds): {mmp * 1e6:.1f} µs")
    bundestag(args.repeats)
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"\nload average (1, 5, 15 min): {load} on {os.cpu_count()} cores")


def bundestag(repeats: int) -> None:
    """One whole Bundestag allocation by tallyroom and by an independent implementation."""
    folder = shared_data_dir() / "de" / "bundestag"
    election = de_bundeswahl.read(folder / "2025-gesamtergebnis.xml")
    regions, districts = election.regions(), election.districts()
    rules = pipeline_named("de-2023")
    ours = per_call(lambda: run_pipeline(rules, regions, districts), repeats, number=200)
    result = run_pipeline(rules, regions, districts)
    oracle = interregnum_runner(
        interregnum_problem(election, rules.step(Qualify).exempt, interregnum_preset_2025())
    )
    theirs = median_seconds(oracle, repeats)
    check = oracle()
    if check.seats != result.seats() or check.by_land != seats_by_land(result):
        sys.exit("MISMATCH: interregnum's 2025 preset and de-2023 disagree")
    print(
        f"\nBundestag 2025, de-2023 (630 seats, 299 Wahlkreise, 16 Länder): "
        f"{ours * 1e3:.2f} ms (target ≤ 5 ms); interregnum's 2025 preset "
        f"{theirs * 1e3:,.0f} ms; × {theirs / ours:,.0f}"
    )

    election = de_bundeswahl.read(folder / "2017-kerg.csv")
    population = de_bundeswahl.read_population(folder / "2017-strukturdaten.csv")
    regions, districts = election.regions(population), election.districts()
    rules = pipeline_named("de-2013")
    ours = per_call(lambda: run_pipeline(rules, regions, districts), repeats, number=50)
    theirs = median_seconds(lambda: votelib_2013(election, population), repeats)
    result = run_pipeline(rules, regions, districts)
    check_2017 = {
        (party, land): n
        for land, seats in votelib_2013(election, population).items()
        for party, n in seats.items()
    }
    if check_2017 != seats_by_land(result):
        sys.exit("MISMATCH: votelib and de-2013 disagree on 2017")
    print(
        f"Bundestag 2017, de-2013 (levelled to {result.house_size}): {ours * 1e3:.2f} ms; "
        f"votelib {theirs * 1e3:,.0f} ms; × {theirs / ours:,.0f}"
    )


def seats_by_land(result: RegionalResult) -> dict[tuple[str, str], int]:
    """(party, Land) → seats, as the oracles give them."""
    return {(p.party, land): n for p in result.parties for land, n in p.by_region.items() if n}


def per_call(action: Callable[[], object], repeats: int, number: int = 2_000) -> float:
    """Median seconds per call over ``repeats`` batches of ``number`` calls."""
    return statistics.median(timeit.repeat(action, number=number, repeat=repeats)) / number


if __name__ == "__main__":
    main()
